/**
 * Translates a downstream connection's global requests into one typed union.
 * Keepalives (`keepalive@openssh.com`) and `no-more-sessions@openssh.com` are
 * answered by ssh2 itself, as OpenSSH servers do; anything else that is not
 * in the union is refused here.
 */
import type { Connection } from 'ssh2';

/** The global requests a client may send: remote forwards and their cancellations. */
export type GlobalRequest =
  | { name: 'tcpip-forward'; address: string; port: number }
  | { name: 'cancel-tcpip-forward'; address: string; port: number }
  | { name: 'streamlocal-forward@openssh.com'; socketPath: string }
  | { name: 'cancel-streamlocal-forward@openssh.com'; socketPath: string };

/** Answers a global request (`port`: the port bound for `tcpip-forward` to port 0). */
export type Accept = ((port?: number) => void) | undefined;
/** Refuses a global request; absent for want_reply = false. */
export type Reject = (() => void) | undefined;

function field(info: unknown, key: string): unknown {
  return typeof info === 'object' && info !== null ? (info as Record<string, unknown>)[key] : undefined;
}

/** Narrows ssh2's request event into a {@link GlobalRequest} (undefined if malformed). */
export function parseGlobalRequest(name: string, info: unknown): GlobalRequest | undefined {
  const address = field(info, 'bindAddr');
  const port = field(info, 'bindPort');
  const socketPath = field(info, 'socketPath');
  switch (name) {
    case 'tcpip-forward':
    case 'cancel-tcpip-forward':
      return typeof address === 'string' && typeof port === 'number' ? { name, address, port } : undefined;
    case 'streamlocal-forward@openssh.com':
    case 'cancel-streamlocal-forward@openssh.com':
      return typeof socketPath === 'string' ? { name, socketPath } : undefined;
    default:
      return undefined;
  }
}

/** Subscribes to the connection's global requests; a malformed or unknown one is refused after `onMalformed`. */
export function onGlobalRequest(conn: Connection, handler: (r: GlobalRequest, accept: Accept, reject: Reject) => void, onMalformed: (name: string) => void): void {
  conn.on('request', (accept: Accept, reject: Reject, name: string, info: unknown) => {
    const r = parseGlobalRequest(name, info);
    if (r) handler(r, accept, reject);
    else { onMalformed(name); reject?.(); }
  });
}

type GlobalRequestHandler = (self: unknown, name: string, wantReply: boolean, data: unknown) => unknown;

/**
 * ssh2 answers global requests in order: while one awaits the target or the
 * access check, the answer to every later one (keepalives too, which ssh2
 * answers itself) waits in ssh2, unsent, where output backpressure cannot
 * see it, and a client can send millions. Counts the want-reply requests that
 * arrive while `pending()`, and past `max` calls `overflow` once and drops
 * the rest unseen by ssh2. Uses ssh2's message handler table; returns false
 * (nothing watched) if this ssh2 has none.
 */
export function watchQueuedReplies(conn: Connection, pending: () => boolean, max: number, overflow: () => void): boolean {
  const handlers = (conn as unknown as { _protocol?: { _handlers?: Record<string, unknown> } })._protocol?._handlers;
  const original = handlers?.GLOBAL_REQUEST;
  if (!handlers || typeof original !== 'function') return false;
  const handle = original as GlobalRequestHandler;
  let queued = 0;
  let overflowed = false;
  handlers.GLOBAL_REQUEST = (self: unknown, name: string, wantReply: boolean, data: unknown): unknown => {
    if (!pending()) queued = 0;
    else if (wantReply && ++queued > max) {
      if (!overflowed) overflow();
      overflowed = true;
      return undefined;
    }
    return handle(self, name, wantReply, data);
  };
  return true;
}
