import type { Connection } from 'ssh2';
import type { Logger } from '../log.js';
import { serveTerminalSessions } from './terminal-sessions.js';

/** How long a healthcheck connection may stay after authentication without finishing its one session. */
const healthcheckLingerMs = 3_000;
/** How long it may stay after its answer was sent (a client normally closes at once). */
const healthcheckAfterAnswerMs = 500;

/** What serving a healthcheck login needs. */
export interface HealthcheckDeps {
  log: Logger;
  /** True while the node drains: the answer is a failure. */
  draining(): boolean;
  /** Ends the connection for sure. */
  drop(): void;
}

/**
 * Serves a healthcheck login: one session channel answers `OK` (or, while
 * draining, `error: portal draining` on stderr with exit status 1), then the
 * connection is closed. A healthcheck connection never leaves the pre-auth
 * limits (login grace time, --max-startups), and is dropped shortly after
 * authentication even when it opens no channel, so it cannot be held.
 */
export function serveHealthcheck(conn: Connection, deps: HealthcheckDeps): void {
  let timer = setTimeout(() => deps.drop(), healthcheckLingerMs);
  timer.unref();
  conn.once('close', () => clearTimeout(timer));
  serveTerminalSessions(conn, (s) => {
    if (deps.draining()) {
      s.channel.stderr.write('error: portal draining\n');
      return Promise.resolve(1);
    }
    s.channel.write('OK\n');
    return Promise.resolve(0);
  }, deps.log, {
    maxSessions: 1,
    onFinished: () => {
      clearTimeout(timer);
      timer = setTimeout(() => deps.drop(), healthcheckAfterAnswerMs);
      timer.unref();
    },
  });
}
