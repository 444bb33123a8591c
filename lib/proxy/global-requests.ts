/**
 * Global requests from the client, relayed to the target: `tcpip-forward` /
 * `cancel-tcpip-forward` (`-R`, port 0 answered with the port the target
 * bound) and their unix-socket variants. Keepalives (`keepalive@openssh.com`)
 * and `no-more-sessions@openssh.com` are answered by ssh2 itself, as OpenSSH
 * servers do.
 */
import type { Client, Connection } from 'ssh2';
import type { ForwardContext } from './forwards.js';

/** The global requests the relay handles. */
export type GlobalRequest =
  | { name: 'tcpip-forward'; address: string; port: number }
  | { name: 'cancel-tcpip-forward'; address: string; port: number }
  | { name: 'streamlocal-forward@openssh.com'; socketPath: string }
  | { name: 'cancel-streamlocal-forward@openssh.com'; socketPath: string };

type Accept = ((port?: number) => void) | undefined;
type Reject = (() => void) | undefined;

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

function call(fn: (cb: (err: Error | null | undefined, port?: number) => void) => void): Promise<number | undefined> {
  return new Promise((resolve, reject) => fn((err, port) => (err ? reject(err) : resolve(port))));
}

async function perform(client: Client, r: GlobalRequest): Promise<number | undefined> {
  switch (r.name) {
    case 'tcpip-forward':
      return call((cb) => client.forwardIn(r.address, r.port, (err, port) => cb(err, port)));
    case 'cancel-tcpip-forward':
      return call((cb) => client.unforwardIn(r.address, r.port, (err) => cb(err)));
    case 'streamlocal-forward@openssh.com':
      return call((cb) => client.openssh_forwardInStreamLocal(r.socketPath, (err) => cb(err)));
    case 'cancel-streamlocal-forward@openssh.com':
      return call((cb) => client.openssh_unforwardInStreamLocal(r.socketPath, (err) => cb(err)));
    default: {
      const never: never = r;
      throw new Error(`unhandled global request ${JSON.stringify(never)}`);
    }
  }
}

function describe(r: GlobalRequest): { address: string; port: number } {
  return 'socketPath' in r ? { address: r.socketPath, port: 0 } : { address: r.address, port: r.port };
}

/** Relays one global request; answers the client with the target's answer. */
export async function relayGlobalRequest(ctx: ForwardContext, r: GlobalRequest, accept: Accept, reject: Reject): Promise<void> {
  let client: Client;
  try { client = await ctx.upstream(); } catch (err) { reject?.(); ctx.fatal(err); return; }
  const where = describe(r);
  const cancel = r.name.startsWith('cancel-');
  try {
    const bound = await perform(client, r);
    const port = r.name === 'tcpip-forward' && r.port === 0 ? bound : undefined;
    accept?.(port);
    ctx.emit({ type: 'remote-forward', action: cancel ? 'cancelled' : 'bound', address: where.address, port: port ?? where.port });
  } catch (err) {
    reject?.();
    ctx.emit({ type: 'remote-forward', action: 'refused', address: where.address, port: where.port, error: err instanceof Error ? err.message : String(err) });
  }
}

/** Subscribes to the connection's global requests. */
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
