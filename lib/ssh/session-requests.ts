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

type Handler = (r: SessionRequest) => void;

/** The handler of each session, read by listeners shared by every session (ssh2 calls them with `this` = the session). */
const handlers = new WeakMap<Session, Handler>();

function dispatch(session: Session, r: SessionRequest): void {
  handlers.get(session)?.(r);
}

// One listener per request type for the whole process, not nine closures per
// session: a relayed session lives for hours, and per-session closures cost
// memory per session (issue 13).

function onPty(this: Session, accept: Reply, reject: Reply, info: PseudoTtyInfo): void { dispatch(this, { type: 'pty-req', info, accept, reject }); }
function onEnv(this: Session, accept: Reply, reject: Reply, info: { key: string; val: string }): void {
  dispatch(this, { type: 'env', key: info.key, value: info.val, accept, reject });
}
function onX11(this: Session, accept: Reply, reject: Reply, info: X11Info): void { dispatch(this, { type: 'x11-req', info, accept, reject }); }
function onAuthAgent(this: Session, accept: Reply, reject: Reply): void { dispatch(this, { type: 'auth-agent-req', accept, reject }); }
function onWindowChange(this: Session, accept: Reply, reject: Reply, info: WindowChangeInfo): void { dispatch(this, { type: 'window-change', info, accept, reject }); }
function onSignal(this: Session, accept: Reply, reject: Reply, info: { name: string }): void { dispatch(this, { type: 'signal', name: info.name, accept, reject }); }
function onShell(this: Session, accept: () => ServerChannel | undefined, reject: Reply): void { dispatch(this, { type: 'shell', accept, reject }); }
function onExec(this: Session, accept: () => ServerChannel | undefined, reject: Reply, info: { command: string }): void {
  dispatch(this, { type: 'exec', command: info.command, accept, reject });
}
function onSubsystem(this: Session, accept: () => ServerChannel | undefined, reject: Reply, info: { name: string }): void {
  dispatch(this, { type: 'subsystem', name: info.name, accept, reject });
}

/**
 * Subscribes `handler` to every request of `session` (one handler per
 * session). Note: no 'sftp' listener is registered, so ssh2 hands the sftp
 * subsystem over as a raw channel (`subsystem` with name `sftp`) that we
 * relay byte for byte.
 */
export function onSessionRequest(session: Session, handler: Handler): void {
  if (handlers.has(session)) throw new Error('onSessionRequest: one handler per session');
  handlers.set(session, handler);
  session.on('pty', onPty);
  session.on('env', onEnv);
  session.on('x11', onX11);
  session.on('auth-agent', onAuthAgent);
  session.on('window-change', onWindowChange);
  session.on('signal', onSignal);
  session.on('shell', onShell);
  session.on('exec', onExec);
  session.on('subsystem', onSubsystem);
}
