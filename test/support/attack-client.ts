/**
 * ssh2 clients written as an attacker would: they hold connections, open
 * nothing, stop reading and keep sending. Only for tests.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import ssh2 from 'ssh2';

/** A connected attacker and what it saw. */
export interface AttackClient {
  client: ssh2.Client;
  /** The raw socket (the attacker decides when it reads). */
  sock: Socket;
  /** Resolves with Date.now() when the portal closed the connection. */
  closed: Promise<number>;
}

/**
 * Connects and authenticates as `username` (with `privateKey`, or none for
 * healthcheck). `allowHalfOpen`: the socket keeps its own half open after the
 * portal's FIN (a peer that never lets go, see deaf-peer.ts).
 */
export async function connectAttacker(port: number, username: string, privateKey?: string, allowHalfOpen = false): Promise<AttackClient> {
  const sock = connect({ port, host: '127.0.0.1', allowHalfOpen });
  sock.on('error', () => undefined);
  const client = new ssh2.Client();
  const closed = new Promise<number>((resolve) => sock.once('close', () => resolve(Date.now())));
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before authentication')));
    client.connect({ sock, username, privateKey, hostVerifier: () => true, tryKeyboard: false, readyTimeout: 20_000 });
  });
  client.on('error', () => undefined);
  return { client, sock, closed };
}

/** ssh2's protocol object: `ping()` sends `keepalive@openssh.com` with want-reply, as OpenSSH's ServerAlive does. */
interface Pinger { ping(): void }

function pinger(client: ssh2.Client): Pinger {
  const proto = (client as unknown as { _protocol?: Pinger })._protocol;
  if (!proto || typeof proto.ping !== 'function') throw new Error('ssh2 internals changed: no _protocol.ping');
  return proto;
}

/** What a keepalive flood achieved. */
export interface FloodResult {
  /** Bytes the attacker managed to hand to the portal. */
  sent: number;
  /** The portal stopped reading: the attacker's own buffer stayed full for `stallMs`. */
  stalled: boolean;
  /** The portal closed the connection. */
  closed: boolean;
}

/**
 * Stops reading, then sends keepalive requests with want-reply as fast as the
 * portal takes them, for at most `budgetMs`. The attacker respects its own
 * socket's backpressure so that its buffers (in this same process) stay small.
 */
export async function floodKeepalives(a: AttackClient, budgetMs: number, stallMs = 2_000): Promise<FloodResult> {
  a.sock.pause();
  const p = pinger(a.client);
  let closed = false;
  void a.closed.then(() => { closed = true; });
  const until = Date.now() + budgetMs;
  const startBytes = a.sock.bytesWritten;
  while (Date.now() < until && !closed) {
    if (a.sock.writableLength > 512 * 1024) {
      const drained = await Promise.race([
        once(a.sock, 'drain').then(() => true, () => false),
        new Promise<boolean>((r) => setTimeout(() => r(false), stallMs)),
      ]);
      if (!drained) return { sent: a.sock.bytesWritten - startBytes, stalled: !closed, closed };
      continue;
    }
    for (let i = 0; i < 500; i++) p.ping();
    await new Promise((r) => setImmediate(r));
  }
  return { sent: a.sock.bytesWritten - startBytes, stalled: false, closed };
}

/** This process's resident set size in MiB (the portal runs in the test process). */
export function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

/** Runs `during` while sampling this process's RSS every 50 ms; resolves with the peak growth over the start, MiB. */
export async function peakRssGrowthMiB(during: () => Promise<void>): Promise<number> {
  const rss0 = rssMiB();
  let peak = rss0;
  const sampler = setInterval(() => { peak = Math.max(peak, rssMiB()); }, 50);
  try {
    await during();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, rssMiB()) - rss0;
}

/** What a paced flood achieved. */
export interface PacedResult {
  /** Bytes handed to the portal. */
  sent: number;
  /** Messages sent. */
  count: number;
  /** The portal closed the connection. */
  closed: boolean;
}

/**
 * Calls `send` as fast as the portal takes the bytes, for `budgetMs`. The
 * attacker keeps reading (it wants to see refusals) and respects its own
 * socket's backpressure, so its own buffers (in this process) stay small.
 */
export async function pacedFlood(a: AttackClient, budgetMs: number, send: (i: number) => void): Promise<PacedResult> {
  let closed = false;
  void a.closed.then(() => { closed = true; });
  const until = Date.now() + budgetMs;
  const start = a.sock.bytesWritten;
  let count = 0;
  while (Date.now() < until && !closed) {
    if (a.sock.writableLength > 512 * 1024) {
      await Promise.race([once(a.sock, 'drain').catch(() => undefined), new Promise((r) => setTimeout(r, 200))]);
      continue;
    }
    for (let i = 0; i < 50; i++) send(count++);
    await new Promise((r) => setImmediate(r));
  }
  return { sent: a.sock.bytesWritten - start, count, closed };
}
