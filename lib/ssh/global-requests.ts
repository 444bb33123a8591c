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
