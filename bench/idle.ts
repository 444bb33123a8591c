/**
 * Idle-session memory: opens N connections through the relay, each with one
 * idle session (`cat` on a silent stdin), using ssh2 clients in the orchestrator (cheap: no N
 * OpenSSH processes); the relay runs in its own process and reports its RSS.
 */
import ssh2 from 'ssh2';
import type { Client } from 'ssh2';
import type { TestKey } from '../test/support/keys.js';
import type { MemoryFigures } from './child.js';
import { sleep } from './measure.js';

function openIdle(port: number, key: TestKey, command: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.once('error', reject);
    c.once('ready', () => {
      // `cat` waits on an open, silent stdin and ends with the connection (no leftovers on the target).
      c.exec(command, (err, ch) => {
        if (err) { reject(err); return; }
        ch.on('data', () => undefined);
        ch.stderr.on('data', () => undefined);
        resolve(c);
      });
    });
    c.connect({ host: '127.0.0.1', port, username: 'web', privateKey: key.privateKey, readyTimeout: 120_000 });
  });
}

/** Opens `n` idle relayed sessions running `command`; returns a function closing them all. */
export async function openIdleSessions(port: number, key: TestKey, n: number, concurrency = 10, command = 'exec cat'): Promise<() => Promise<void>> {
  const clients: Client[] = [];
  for (let i = 0; i < n; i += concurrency) {
    const batch = await Promise.all(Array.from({ length: Math.min(concurrency, n - i) }, () => openIdle(port, key, command)));
    clients.push(...batch);
  }
  return async () => {
    const closed = clients.map((c) => new Promise<void>((r) => c.once('close', () => r())));
    for (const c of clients) c.end();
    await Promise.race([Promise.all(closed), sleep(5000)]);
  };
}

/** Memory per relayed session, KiB. */
export interface SessionMemory {
  /** The growth of the server's RSS (after a GC) divided by the sessions. */
  rssKiB: number;
  /**
   * The part of it that is V8's young generation paging in (divided the same
   * way): a per-process reservation (2 × 16 MiB at most) that allocation
   * touches over time, whatever the sessions; 0 to ~160 KiB at 100 sessions.
   */
  youngKiB: number;
}

/**
 * Memory per relayed session of `server`: the growth of its RSS (after a GC)
 * with `n` idle sessions open, measured after a warm-up of a few sessions
 * opened and closed, so that what the first session loads once (code paths
 * compiled, allocator arenas grown) is not counted per session.
 */
export async function rssPerSessionKiB(server: { port: number; mem(): Promise<MemoryFigures> }, key: TestKey, n: number, command = 'exec cat'): Promise<SessionMemory> {
  await (await openIdleSessions(server.port, key, 10, 10, command))();
  await sleep(500);
  const m0 = await server.mem();
  const close = await openIdleSessions(server.port, key, n, 20, command);
  try {
    await sleep(500);
    const m1 = await server.mem();
    const perSession = (bytes: number): number => bytes / 1024 / n;
    return { rssKiB: perSession(m1.rss - m0.rss), youngKiB: perSession(m1.newSpace - m0.newSpace) };
  } finally {
    await close();
  }
}
