/**
 * The socket side of the PROXY protocol: reads the header off a raw socket
 * before it is handed to SSH (trusted balancers), or spots one sent by anybody
 * else. The parsing itself is pure, in `proxy-protocol.ts`. Neither function
 * keeps a timer: the listener's login grace time bounds how long a header may take.
 */
import type { Socket } from 'node:net';
import { parseProxyHeader, startsWithProxyHeader, type ProxyHeader } from './proxy-protocol.js';

/** A finished header: what {@link readProxyHeader} reports. */
export type ProxyOutcome = Exclude<ProxyHeader, { kind: 'incomplete' }>;

/**
 * Reads a PROXY header from a socket nobody else reads yet. On an outcome the
 * socket is left paused, and the bytes after the header (the client's SSH
 * identification, often in the same packet) are put back in front of its
 * stream, so whoever reads next sees exactly the proxied bytes. `done` is
 * called at most once; never when the socket closes first.
 */
export function readProxyHeader(socket: Socket, done: (outcome: ProxyOutcome) => void): void {
  let received: Buffer = Buffer.alloc(0);
  const stop = (): void => {
    socket.off('data', onData);
    socket.off('close', stop);
  };
  function onData(chunk: Buffer): void {
    // Bounded: the parser refuses anything longer than the longest valid header.
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const header = parseProxyHeader(received);
    if (header.kind === 'incomplete') return;
    stop();
    socket.pause();
    if (header.kind !== 'invalid' && received.length > header.length) socket.unshift(received.subarray(header.length));
    done(header);
  }
  socket.on('data', onData);
  socket.once('close', stop);
}

/**
 * Watches the first bytes of a socket already handed to SSH and calls
 * `onHeader` if they open a PROXY header: from a peer that is not a trusted
 * balancer, a header is a claim to be someone else. It only looks: SSH still
 * gets every byte.
 */
export function watchForProxyHeader(socket: Socket, onHeader: () => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const stop = (): void => {
    socket.off('data', onData);
    socket.off('close', stop);
  };
  function onData(chunk: Buffer): void {
    seen = Buffer.concat([seen, chunk.subarray(0, 16)]);
    const verdict = startsWithProxyHeader(seen);
    if (verdict === 'undecided') return;
    stop();
    if (verdict === 'yes') onHeader();
  }
  socket.on('data', onData);
  socket.once('close', stop);
}

/**
 * What failed logins count against on a trusted balancer's connection that
 * names no client (PROXY `LOCAL` or `UNKNOWN`): a key of its own, never the
 * balancer's address, which every client behind it shares.
 */
export function balancerOwnKey(balancerIp: string): string {
  return `${balancerIp} (the balancer's own connections)`;
}
