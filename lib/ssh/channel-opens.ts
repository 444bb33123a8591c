/**
 * Translates the channel-open events of a downstream ssh2 connection into one
 * typed union, handled by the relay in one exhaustive switch. Channel types
 * ssh2 does not surface are refused by ssh2 itself (unknown channel type).
 */
import type { Connection, ServerChannel, Session, TcpipRequestInfo } from 'ssh2';

/** A channel the client asks to open. */
export type ChannelOpen =
  | { type: 'session'; accept: () => Session | undefined; reject: () => void }
  | { type: 'direct-tcpip'; info: TcpipRequestInfo; accept: () => ServerChannel | undefined; reject: () => void }
  | { type: 'direct-streamlocal@openssh.com'; socketPath: string; accept: () => ServerChannel | undefined; reject: () => void };

/** Subscribes `handler` to every channel the client opens. */
export function onChannelOpen(conn: Connection, handler: (open: ChannelOpen) => void): void {
  conn.on('session', (accept: () => Session | undefined, reject: () => void) => handler({ type: 'session', accept, reject }));
  conn.on('tcpip', (accept, reject, info) => handler({ type: 'direct-tcpip', info, accept, reject }));
  conn.on('openssh.streamlocal', (accept, reject, info) =>
    handler({ type: 'direct-streamlocal@openssh.com', socketPath: info.socketPath, accept, reject }));
}
