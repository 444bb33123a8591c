import type { Connection } from 'ssh2';
import type { Identity } from './auth.js';
import type { ConnectionContext } from './connection.js';
import { serveTerminalSessions } from './terminal-sessions.js';

/** Hands a host login to the relay (wired in by the relay work). */
export function startBastion(conn: Connection, who: Extract<Identity, { kind: 'user' }>, target: string, ctx: ConnectionContext): void {
  ctx.log.info('host login', { user: who.user.name, host: target });
  serveTerminalSessions(conn, async (s) => {
    s.channel.stderr.write(`error: cannot relay to '${target}' yet\n`);
    return 1;
  }, ctx.log);
}
