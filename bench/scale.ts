/**
 * Portal scale benchmark (`npm run bench:scale`), through the real portal
 * (App in its own process, SQLite): new relayed sessions per second
 * (`ssh web@portal true` in a loop, bounded concurrency) against direct ssh to
 * the same sshd, then N concurrent idle relayed sessions and the portal's RSS.
 *
 * Env: BENCH_SETUP (sessions per path, default 200), BENCH_CONCURRENCY (default 4),
 * BENCH_CONCURRENT (idle sessions, default 500).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generateKey, tempDir } from '../test/support/keys.js';
import { startSshd } from '../test/support/sshd.js';
import { startBenchProcess } from './child.js';
import { openIdleSessions } from './idle.js';
import { sleep, table, timed } from './measure.js';
import { requireSshdForBench } from './sshd-check.js';

const SETUP = Number(process.env.BENCH_SETUP ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 500);

/** Runs `n` times `script` with at most `concurrency` at once; returns sessions per second. */
async function rate(script: string, n: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      await timed(script, 60_000);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (n * 1000) / (performance.now() - started);
}

async function main(): Promise<void> {
  requireSshdForBench();
  const tmp = tempDir('sshportal-bench-scale-');
  const user = generateKey(join(tmp.path, 'user'));
  const portalKey = generateKey(join(tmp.path, 'portal'));
  // sshd's default MaxStartups (10:30:100) would drop concurrent handshakes.
  const target = await startSshd({ authorizedKeys: [user.publicKey, portalKey.publicKey], extraConfig: ['MaxStartups 200', 'MaxSessions 10'] });
  const inviteToken = randomBytes(12).toString('hex');
  const portal = await startBenchProcess('portal.ts', { dir: tmp.path, inviteToken, portalKey, target: { host: target.host, port: target.port, user: target.user } });
  const base = `ssh -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR -i ${user.path}`;
  try {
    await timed(`${base} -p ${portal.port} invite:${inviteToken}@127.0.0.1`);
    process.stderr.write(`session setup: ${SETUP} × 'ssh host true', ${CONCURRENCY} at a time…\n`);
    const direct = await rate(`${base} -p ${target.port} ${target.user}@127.0.0.1 true`, SETUP, CONCURRENCY);
    const relayed = await rate(`${base} -p ${portal.port} web@127.0.0.1 true`, SETUP, CONCURRENCY);
    await sleep(1000);
    const rss0 = await portal.rss();
    process.stderr.write(`opening ${CONCURRENT} concurrent idle sessions…\n`);
    const t0 = performance.now();
    const close = await openIdleSessions(portal.port, user, CONCURRENT);
    const openSecs = (performance.now() - t0) / 1000;
    await sleep(2000);
    const rss1 = await portal.rss();
    await close();
    const fmt = (n: number, d = 0): string => n.toFixed(d);
    console.log(`\nPortal scale benchmark — real portal (SQLite), ${new Date().toISOString()}\n`);
    console.log(table(['figure', 'measured'], [
      [`new sessions per second, direct ssh (${CONCURRENCY} concurrent)`, fmt(direct, 1)],
      [`new relayed sessions per second through the portal (${CONCURRENCY} concurrent)`, fmt(relayed, 1)],
      [`${CONCURRENT} concurrent idle relayed sessions: time to open them (s)`, fmt(openSecs, 1)],
      ['portal RSS before (MiB)', fmt(rss0)],
      [`portal RSS with ${CONCURRENT} idle sessions (MiB)`, fmt(rss1)],
      ['RSS per idle session (KiB)', fmt(((rss1 - rss0) * 1024) / CONCURRENT)],
    ]));
  } finally {
    await portal.stop();
    await target.stop();
    tmp.remove();
  }
}

await main();
