/**
 * Session channels the portal serves itself (healthcheck, invite, admin
 * shell), through the same ssh2 boundary as the relay (lib/ssh): the
 * channel-open, session-request and global-request unions, each handled in an
 * exhaustive switch, and one way to end a channel.
 */
import { EventEmitter } from 'node:events';
import type { Connection, ServerChannel, Session } from 'ssh2';
import { asDatabaseError } from '../db/database.js';
import { userMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { ConnectionBudget, defaultLimits, type ConnectionLimits } from '../proxy/limits.js';
import { holdSession } from '../proxy/channel-slots.js';
import type { PtySize } from '../shell/context.js';
import { onChannelOpen, type ChannelOpen } from '../ssh/channel-opens.js';
import { endChannel } from '../ssh/exit.js';
import { onGlobalRequest } from '../ssh/global-requests.js';
import { onSessionRequest, type SessionRequest } from '../ssh/session-requests.js';
import { writeIfOpen } from '../ssh/write-if-open.js';

/** What the client asked a session channel to run. */
export type RunRequest = { kind: 'exec'; command: string } | { kind: 'shell' };

/** One session channel served by the portal itself (healthcheck, invite, admin shell). */
export interface TerminalSession {
  channel: ServerChannel;
  request: RunRequest;
  pty: PtySize | null;
  onResize: (listener: (size: PtySize) => void) => void;
}

/** Runs one session; resolves with its exit status. */
export type TerminalHandler = (session: TerminalSession) => Promise<number>;

/**
 * Writes a final error line (its end of line included, `\n` added when
 * missing), sends the exit status, then EOF and CLOSE (lib/ssh's endChannel);
 * resolves once sent.
 */
export function finishChannel(channel: ServerChannel, code: number, log: Logger, errorLine?: string): Promise<void> {
  const line = errorLine ? errorLine.replace(/\r?\n$/, '') : undefined;
  const eol = errorLine?.endsWith('\r\n') ? '\r\n' : '\n';
  return endChannel(channel, { exit: { code }, line, eol }, log);
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
      .then((code) => finishChannel(channel, code, log))
      .catch((err: unknown) => {
        log.error('session failed', { err });
        return finishChannel(channel, 1, log, `error: ${userMessage(asDatabaseError(err))}`);
      })
      .finally(() => {
        running.delete(entry);
        opts.onFinished?.();
      });
  };
  // Accept synchronously: a client that already sent EOF would otherwise hang.
  const start = (accept: () => ServerChannel | undefined, reject: (() => void) | undefined, request: RunRequest): void => {
    if (started) { reject?.(); return; }
    const channel = accept();
    if (channel) run(channel, request);
  };
  onSessionRequest(session, (r: SessionRequest) => {
    switch (r.type) {
      case 'pty-req':
        pty = sizeOf(r.info);
        r.accept?.();
        return;
      case 'window-change':
        r.accept?.();
        if (pty) { pty = sizeOf(r.info); resizes.emit('resize', pty); }
        return;
      case 'env':
      case 'signal':
        // Nothing to pass them to: acknowledged and ignored.
        r.accept?.();
        return;
      case 'shell':
        start(r.accept, r.reject, { kind: 'shell' });
        return;
      case 'exec':
        start(r.accept, r.reject, { kind: 'exec', command: r.command });
        return;
      // No subsystem (sftp included), agent or X11 on the portal's own sessions.
      case 'subsystem':
      case 'auth-agent-req':
      case 'x11-req':
        r.reject?.();
        return;
      default: {
        const never: never = r;
        log.warn('unhandled session request', { request: JSON.stringify(never) });
      }
    }
  });
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
  onChannelOpen(conn, (open: ChannelOpen) => {
    switch (open.type) {
      case 'session': {
        if (opts.maxSessions !== undefined && sessions >= opts.maxSessions) return open.reject();
        const slot = budget.openChannel('session');
        if (!slot) return open.reject();
        sessions++;
        const session = open.accept();
        if (!session) return slot.release();
        holdSession(conn, session, slot);
        serveSession(session, handler, log, running, opts);
        return;
      }
      // No forwarding of any kind.
      case 'direct-tcpip':
      case 'direct-streamlocal@openssh.com':
        open.reject();
        return;
      default: {
        const never: never = open;
        log.warn('unhandled channel open', { open: JSON.stringify(never) });
      }
    }
  });
  onGlobalRequest(conn, (_r, _accept, reject) => reject?.(), () => undefined);
  return {
    notify(line) {
      for (const r of running) writeIfOpen(r.channel.stderr, line + (r.pty ? '\r\n' : '\n'));
    },
  };
}
