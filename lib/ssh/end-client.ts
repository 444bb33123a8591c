/**
 * Ending a connection the portal dialed (a target or hop, another node's link)
 * so that it is really gone, whatever the peer does.
 */
import type { Client } from 'ssh2';
import { Duplex } from 'node:stream';

/** How long a peer gets to close its side of a connection we ended before its socket is destroyed. */
export const END_GRACE_MS = 5_000;

/**
 * Ends `client`: SSH disconnect, then our half of the socket closes. A peer
 * that never closes its half (a hung target, a hostile one) would keep the
 * socket, and the portal process, alive for good: ssh2's own `destroy()` does
 * nothing once `end()` ran, and its keepalive stops. So the socket (TCP, or
 * the channel of a hop it runs through) is destroyed after {@link END_GRACE_MS}.
 */
export function endClient(client: Client, graceMs = END_GRACE_MS): void {
  client.end();
  // Once per client: callers may end a chain twice (a hop's channel never reads as destroyed).
  if (ending.has(client)) return;
  const sock = (client as unknown as { _sock?: unknown })._sock;
  if (!(sock instanceof Duplex) || sock.destroyed) return;
  ending.add(client);
  const timer = setTimeout(() => sock.destroy(), graceMs);
  timer.unref();
  client.once('close', () => clearTimeout(timer));
}

/** Clients {@link endClient} already set a timer for. */
const ending = new WeakSet<Client>();
