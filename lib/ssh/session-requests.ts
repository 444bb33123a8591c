/**
 * Translates the events of an ssh2 server `Session` into one typed union, so
 * the bridge handles every request type in one exhaustive switch.
 *
 * Not surfaced by ssh2 (auto-rejected with a failure reply, as OpenSSH does
 * for requests it does not know): `break`, channel-level keepalives.
 */
import type { PseudoTtyInfo, ServerChannel, Session, WindowChangeInfo, X11Info } from 'ssh2';

/** A reply function; absent when the client sent want_reply = false. */
export type Reply = (() => void) | undefined;

/** Every session-channel request the relay handles. */
export type SessionRequest =
  | { type: 'pty-req'; info: PseudoTtyInfo; accept: Reply; reject: Reply }
  | { type: 'env'; key: string; value: string; accept: Reply; reject: Reply }
  | { type: 'x11-req'; info: X11Info; accept: Reply; reject: Reply }
  | { type: 'auth-agent-req'; accept: Reply; reject: Reply }
  | { type: 'window-change'; info: WindowChangeInfo; accept: Reply; reject: Reply }
  | { type: 'signal'; name: string; accept: Reply; reject: Reply }
  | { type: 'shell'; accept: () => ServerChannel | undefined; reject: Reply }
  | { type: 'exec'; command: string; accept: () => ServerChannel | undefined; reject: Reply }
  | { type: 'subsystem'; name: string; accept: () => ServerChannel | undefined; reject: Reply };

/** Session request type names. */
export type SessionRequestType = SessionRequest['type'];

/**
 * Subscribes `handler` to every request of `session`. Note: no 'sftp'
 * listener is registered, so ssh2 hands the sftp subsystem over as a raw
 * channel (`subsystem` with name `sftp`) that we relay byte for byte.
 */
export function onSessionRequest(session: Session, handler: (r: SessionRequest) => void): void {
  session.on('pty', (accept, reject, info) => handler({ type: 'pty-req', info, accept, reject }));
  session.on('env', (accept, reject, info) => handler({ type: 'env', key: info.key, value: info.val, accept, reject }));
  session.on('x11', (accept, reject, info) => handler({ type: 'x11-req', info, accept, reject }));
  session.on('auth-agent', (accept, reject) => handler({ type: 'auth-agent-req', accept, reject }));
  session.on('window-change', (accept, reject, info) => handler({ type: 'window-change', info, accept, reject }));
  session.on('signal', (accept, reject, info) => handler({ type: 'signal', name: info.name, accept, reject }));
  session.on('shell', (accept, reject) => handler({ type: 'shell', accept, reject }));
  session.on('exec', (accept, reject, info) => handler({ type: 'exec', command: info.command, accept, reject }));
  session.on('subsystem', (accept, reject, info) => handler({ type: 'subsystem', name: info.name, accept, reject }));
}
