/**
 * Memory per relayed session (issue 13), through the real portal (App in its
 * own process, SQLite, recording on): opens N idle sessions with ssh2 clients
 * (one connection and one `sleep 120` exec each), and prints the portal's RSS,
 * JS heap and external memory per session, all after a GC, for each N in turn.
 *
 *   npx tsx bench/session-memory.ts
 *
 * Env: BENCH_SESSIONS (comma list, default `100,300`), BENCH_TARGET (`ssh2`,
 * the default: bench/target.ts, one process for every session, needed for
 * thousands; `sshd`: OpenSSH), BENCH_SNAPSHOTS (a directory: heap snapshots
 * of the portal before and with each N, to compare in DevTools' Comparison view),
 * BENCH_CONCURRENCY (logins at once, default 20).
 *
 * `young gen paged in`: V8's young generation (new space, 2 × 16 MiB by
 * default) is sized per process, not per session, and becomes resident as
 * allocation goes through it. A fresh portal has paged in about half of it
 * after the warm-up; opening N sessions pages in the rest, up to 16 MiB that
 * the RSS column divides by N (measured: ~53 KiB of the ~105 KiB compiled at
 * 300). `RSS − young gen` is what the sessions themselves cost.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, tempDir } from '../test/support/keys.js';
import { startSshd } from '../test/support/sshd.js';
import { startBenchProcess, type BenchProcess, type MemoryFigures } from './child.js';
import { openIdleSessions } from './idle.js';
import { sleep, table, timed } from './measure.js';
import { requireSshdForBench } from './sshd-check.js';

const COUNTS = (process.env.BENCH_SESSIONS ?? '100,300').split(',').map(Number);
const TARGET = process.env.BENCH_TARGET ?? 'ssh2';
const SNAPSHOTS = process.env.BENCH_SNAPSHOTS;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);

interface Target { host: string; port: number; user: string; stop(): Promise<void> }

/** Memory after the process settled: two GCs a moment apart (ssh2 frees handshake state on timers). */
async function settled(p: BenchProcess): Promise<MemoryFigures> {
  await sleep(1000);
  await p.mem();
  await sleep(500);
  return p.mem();
}

async function main(): Promise<void> {
  const tmp = tempDir('sshportal-bench-mem-');
  const user = generateKey(join(tmp.path, 'user'));
  const portalKey = generateKey(join(tmp.path, 'portal'));
  let target: Target;
  if (TARGET === 'sshd') {
    requireSshdForBench();
    target = await startSshd({ authorizedKeys: [user.publicKey, portalKey.publicKey], extraConfig: ['MaxStartups 200', 'MaxSessions 10'] });
  } else {
    const hostKey = generateKey(join(tmp.path, 'target-host'));
    const t = await startBenchProcess('target.ts', { hostKeyPath: hostKey.path });
    target = { host: '127.0.0.1', port: t.port, user: 'bench', stop: () => t.stop() };
  }
  const base = `ssh -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR -i ${user.path}`;
  const rows: string[][] = [];
  const kib = (bytes: number, n: number): string => (bytes / 1024 / n).toFixed(1);
  try {
    // One fresh portal per count: what a count costs does not depend on the counts before it.
    for (const [i, n] of COUNTS.entries()) {
      const inviteToken = randomBytes(12).toString('hex');
      mkdirSync(join(tmp.path, `portal-${i}`));
      const portal = await startBenchProcess('portal.ts', {
        dir: join(tmp.path, `portal-${i}`), inviteToken, portalKey, target: { host: target.host, port: target.port, user: target.user },
        flags: { maxConnections: '20000', maxUserConnections: '20000' },
      });
      try {
        await timed(`${base} -p ${portal.port} invite:${inviteToken}@127.0.0.1`);
        // Warm-up: lazily loaded modules and first compilations are paid once per process, not per session.
        await (await openIdleSessions(portal.port, user, 20, 20, 'sleep 120'))();
        const m0 = await settled(portal);
        if (SNAPSHOTS) await portal.snapshot(join(SNAPSHOTS, `portal-${n}-before.heapsnapshot`));
        process.stderr.write(`opening ${n} idle sessions…\n`);
        const t0 = performance.now();
        const close = await openIdleSessions(portal.port, user, n, CONCURRENCY, 'sleep 120');
        const openSecs = (performance.now() - t0) / 1000;
        const m1 = await settled(portal);
        if (SNAPSHOTS) await portal.snapshot(join(SNAPSHOTS, `portal-${n}.heapsnapshot`));
        await close();
        const d = (f: (m: MemoryFigures) => number): string => kib(f(m1) - f(m0), n);
        rows.push([String(n), openSecs.toFixed(1), (m1.rss / 2 ** 20).toFixed(0), d((m) => m.rss), d((m) => m.heapUsed), d((m) => m.heapTotal),
          d((m) => m.external), d((m) => m.rss - m.heapTotal), d((m) => m.newSpace), d((m) => m.rss - m.newSpace)]);
      } finally {
        await portal.stop();
      }
    }
    console.log(`\nMemory per relayed session — real portal (SQLite, recording on), target ${TARGET}, ${new Date().toISOString()}\n`);
    console.log(table(['sessions', 'open (s)', 'RSS (MiB)', 'RSS/session (KiB)', 'heap used', 'heap total', 'external', 'RSS − heap total', 'young gen paged in', 'RSS − young gen'], rows));
  } finally {
    await target.stop();
    tmp.remove();
  }
}

await main();
