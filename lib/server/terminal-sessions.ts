import { EventEmitter } from 'node:events';
import type { Connection, PseudoTtyInfo, ServerChannel, Session } from 'ssh2';
import { asDatabaseError } from '../db/database.js';
import { userMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { ConnectionBudget, defaultLimits, type ConnectionLimits } from '../proxy/limits.js';
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

/** Writes a final error line, sends the exit status, then EOF and CLOSE (in that order); resolves once sent. */
export function finishChannel(channel: ServerChannel, code: number, errorLine?: string): Promise<void> {
  if (errorLine) channel.stderr.write(errorLine.endsWith('\n') ? errorLine : errorLine + '\n');
  // The exit status goes after every byte already written.
  return flushed(channel).then(() => {
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

/** Options of {@link serveTerminalSessions}. */
export interface TerminalOptions {
  /** Session channels allowed over the connection's life (default: no limit of its own). */
  maxSessions?: number;
  /** Channels and sessions held at once (default {@link defaultLimits}; `--max-sessions` for users). */
  limits?: ConnectionLimits;
  /** Called after a session's exit status and CLOSE were sent. */
  onFinished?(): void;
}

/** The portal-served sessions of one connection, as its owner sees them. */
export interface TerminalConnection {
  /** Writes one line to the stderr of every running session (shutdown notices). */
  notify(line: string): void;
}

interface Running { channel: ServerChannel; pty: boolean }

function serveSession(session: Session, handler: TerminalHandler, log: Logger, running: Set<Running>, opts: TerminalOptions): void {
  let pty: PtySize | null = null;
  const resizes = new EventEmitter();
  let started = false;
  const run = (channel: ServerChannel, request: RunRequest): void => {
    started = true;
    const entry: Running = { channel, pty: pty !== null };
    running.add(entry);
    channel.once('close', () => running.delete(entry));
    handler({ channel, request, pty, onResize: (l) => { resizes.on('resize', l); } })
      .then((code) => finishChannel(channel, code))
      .catch((err: unknown) => {
        log.error('session failed', { err });
        return finishChannel(channel, 1, `error: ${userMessage(asDatabaseError(err))}`);
      })
      .finally(() => {
        running.delete(entry);
        opts.onFinished?.();
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
 * `opts.limits.maxSessions` at once (more are refused with a channel open
 * failure), refusing every other channel type and global request (no
 * forwarding of any kind).
 */
export function serveTerminalSessions(conn: Connection, handler: TerminalHandler, log: Logger, opts: TerminalOptions = {}): TerminalConnection {
  const running = new Set<Running>();
  const budget = new ConnectionBudget(opts.limits ?? defaultLimits, log);
  let sessions = 0;
  conn.on('session', (accept, reject) => {
    if (opts.maxSessions !== undefined && sessions >= opts.maxSessions) return void reject();
    const slot = budget.openChannel('session');
    if (!slot) return void reject();
    sessions++;
    const session = accept();
    holdSession(conn, session, slot);
    serveSession(session, handler, log, running, opts);
  });
  conn.on('tcpip', (_accept, reject) => reject());
  conn.on('request', (_accept, reject) => reject?.());
  conn.on('openssh.streamlocal', (_accept, reject) => reject());
  return {
    notify(line) {
      for (const r of running) {
        try {
          r.channel.stderr.write(line + (r.pty ? '\r\n' : '\n'));
        } catch {
          // the channel is closing
        }
      }
    },
  };
}
