import { EventEmitter } from 'node:events';
import type { Connection, PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import { userMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { ConnectionBudget, type ConnectionLimits } from '../proxy/limits.js';
import { flushed } from '../proxy/pump.js';
import { holdSession } from '../proxy/channel-slots.js';
import type { PtySize } from '../shell/index.js';

/** What the client asked a session channel to run. */
export type RunRequest = { kind: 'exec'; command: string } | { kind: 'shell' };

/** One session channel served by the portal itself (healthcheck, invite, admin shell). */
export interface TerminalSession {
  channel: ServerChannel;
  request: RunRequest;
  pty: PtySize | null;
  onResize(listener: (size: PtySize) => void): void;
}

/** Runs one session; resolves with its exit status. */
export type TerminalHandler = (session: TerminalSession) => Promise<number>;

/** Writes a final error line, sends the exit status, then EOF and CLOSE (in that order). */
export function finishChannel(channel: ServerChannel, code: number, errorLine?: string): void {
  if (errorLine) channel.stderr.write(errorLine.endsWith('\n') ? errorLine : errorLine + '\n');
  // The exit status goes after every byte already written.
  void flushed(channel).then(() => {
    try {
      channel.exit(code);
      channel.end();
    } catch {
      // the client already closed the channel
    }
  });
}

function sizeOf(info: { cols: number; rows: number }): PtySize {
  return { cols: info.cols || 80, rows: info.rows || 24 };
}

function serveSession(session: Session, handler: TerminalHandler, log: Logger): void {
  let pty: PtySize | null = null;
  const resizes = new EventEmitter();
  let started = false;
  const run = (channel: ServerChannel, request: RunRequest): void => {
    started = true;
    handler({ channel, request, pty, onResize: (l) => { resizes.on('resize', l); } })
      .then((code) => finishChannel(channel, code))
      .catch((err: unknown) => {
        log.error('session failed', { err });
        finishChannel(channel, 1, `error: ${userMessage(err)}`);
      });
  };
  session.on('pty', (accept, _reject, info: PseudoTtyInfo) => { pty = sizeOf(info); accept?.(); });
  session.on('window-change', (accept, _reject, info) => {
    accept?.();
    if (pty) { pty = sizeOf(info); resizes.emit('resize', pty); }
  });
  session.on('env', (accept) => accept?.());
  // Accept synchronously: a client that already sent EOF would otherwise hang.
  session.on('shell', (accept, reject) => { if (started) return reject?.(); run(accept(), { kind: 'shell' }); });
  session.on('exec', (accept, reject, info) => { if (started) return reject?.(); run(accept(), { kind: 'exec', command: info.command }); });
  session.on('subsystem', (_accept, reject) => reject?.());
  session.on('auth-agent', (_accept, reject) => reject?.());
  session.on('x11', (_accept, reject) => reject?.());
  session.on('signal', (accept) => accept?.());
  session.on('sftp', (_accept, reject) => reject?.());
}

/**
 * Serves session channels on `conn` with `handler`, at most
 * `limits.maxSessions` at once (more are refused with a channel open
 * failure), refusing every other channel type and global request (no
 * forwarding of any kind).
 */
export function serveTerminalSessions(conn: Connection, handler: TerminalHandler, log: Logger, limits: ConnectionLimits): void {
  const budget = new ConnectionBudget(limits, log);
  conn.on('session', (accept, reject) => {
    const slot = budget.openChannel('session');
    if (!slot) return reject();
    const session = accept();
    holdSession(conn, session, slot);
    serveSession(session, handler, log);
  });
  conn.on('tcpip', (_accept, reject) => reject());
  conn.on('request', (_accept, reject) => reject?.());
  conn.on('openssh.streamlocal', (_accept, reject) => reject());
}
