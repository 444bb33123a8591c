/**
 * Global requests from the client (lib/ssh/global-requests.ts), relayed to
 * the target: `tcpip-forward` / `cancel-tcpip-forward` (`-R`, port 0 answered
 * with the port the target bound) and their unix-socket variants.
 */
import type { Client } from 'ssh2';
import type { Accept, GlobalRequest, Reject } from '../ssh/global-requests.js';
import type { ForwardContext } from './forwards.js';

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
