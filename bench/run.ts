/**
 * Relay benchmark (`npm run bench`): upload/download MB/s and `ssh host true`
 * latency through the relay vs OpenSSH ProxyJump (ssh -W through an sshd) vs
 * direct ssh, relay RSS while a transfer is stalled at either end, and relay
 * RSS per idle session. Everything runs on this machine, one run.
 *
 * Env: BENCH_MB (stream size, default 1024), BENCH_RUNS (default 3),
 * BENCH_LATENCY_RUNS (default 10), BENCH_IDLE (sessions, default 200).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startBenchProcess, type BenchProcess } from './child.js';
import { generateKey, tempDir } from '../test/support/keys.js';
import { requireSshdForBench } from './sshd-check.js';
import { startSshd } from '../test/support/sshd.js';
import { openIdleSessions } from './idle.js';
import { medianOf, sleep, table, timed } from './measure.js';

const MB = Number(process.env.BENCH_MB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LAT_RUNS = Number(process.env.BENCH_LATENCY_RUNS ?? 10);
const IDLE = Number(process.env.BENCH_IDLE ?? 200);

function startFrontProcess(cfg: unknown): Promise<BenchProcess> {
  return startBenchProcess('front.ts', cfg);
}

/** Starts a pipeline in its own process group; returns a stop function (kills the group by its id). */
function background(script: string): () => Promise<void> {
  const child = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return async () => {
    try { process.kill(-(child.pid as number), 'SIGKILL'); } catch { /* already gone */ }
    await exited;
  };
}

async function main(): Promise<void> {
  requireSshdForBench();
  const tmp = tempDir('sshportal-bench-');
  const user = generateKey(join(tmp.path, 'user'));
  const portal = generateKey(join(tmp.path, 'portal'));
  const frontKey = generateKey(join(tmp.path, 'front'));
  const target = await startSshd({ authorizedKeys: [user.publicKey, portal.publicKey] });
  const hop = await startSshd({ authorizedKeys: [user.publicKey] });
  const front = await startFrontProcess({ hostKey: frontKey, portalKey: portal, target: { host: target.host, port: target.port, user: target.user, hostKey: target.hostKey }, recordingDir: join(tmp.path, 'rec') });
  const base = `ssh -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR -i ${user.path}`;
  const paths: Record<string, string> = {
    direct: `${base} -p ${target.port} ${target.user}@127.0.0.1`,
    'ProxyJump (ssh -W via sshd)': `${base} -o ProxyCommand='${base} -p ${hop.port} -W %h:%p ${hop.user}@127.0.0.1' -p ${target.port} ${target.user}@127.0.0.1`,
    'sshportal relay': `${base} -p ${front.port} web@127.0.0.1`,
  };
  const results: Record<string, { up: number; down: number; lat: number }> = {};
  try {
    for (const [name, ssh] of Object.entries(paths)) {
      process.stderr.write(`measuring ${name}…\n`);
      const up = await medianOf(RUNS, () => timed(`head -c ${MB}M /dev/zero | ${ssh} 'cat > /dev/null'`));
      const down = await medianOf(RUNS, () => timed(`${ssh} 'head -c ${MB}M /dev/zero' > /dev/null`));
      const lat = await medianOf(LAT_RUNS, () => timed(`${ssh} true`));
      results[name] = { up: (MB * 1000) / up, down: (MB * 1000) / down, lat };
    }
    const relay = paths['sshportal relay'];
    process.stderr.write('measuring stalled transfers…\n');
    const rss0 = await front.rss();
    let stop = background(`${relay} 'head -c 1024M /dev/zero' | (sleep 30; cat > /dev/null)`);
    await sleep(4000);
    const stalledDown = (await front.rss()) - rss0;
    await stop();
    await sleep(500);
    const rss1 = await front.rss();
    // The target never reads stdin; its 1 s ticks end (SIGPIPE) once the connection is gone.
    stop = background(`head -c 1024M /dev/zero | ${relay} 'while echo .; do sleep 1; done' > /dev/null`);
    await sleep(4000);
    const stalledUp = (await front.rss()) - rss1;
    await stop();
    process.stderr.write(`measuring ${IDLE} idle sessions…\n`);
    await sleep(500);
    const rss2 = await front.rss();
    const closeIdle = await openIdleSessions(front.port, user, IDLE);
    await sleep(1000);
    const perIdleKiB = (((await front.rss()) - rss2) * 1024) / IDLE;
    await closeIdle();

    const fmt = (n: number, d = 0): string => n.toFixed(d);
    console.log(`\nRelay benchmark — ${MB} MiB streams, medians of ${RUNS} (latency: ${LAT_RUNS}), ${new Date().toISOString()}\n`);
    console.log(table(['path', 'upload MB/s', 'download MB/s', '`ssh host true` ms'], Object.entries(results).map(([k, r]) => [k, fmt(r.up), fmt(r.down), fmt(r.lat)])));
    const d = results.direct;
    const j = results['ProxyJump (ssh -W via sshd)'];
    const p = results['sshportal relay'];
    console.log('\n' + table(['figure', 'measured', 'goal'], [
      ['relay / direct throughput (up, down)', `${fmt(p.up / d.up, 2)}, ${fmt(p.down / d.down, 2)}`, '≥ 0.85'],
      ['relay / ProxyJump throughput (up, down)', `${fmt(p.up / j.up, 2)}, ${fmt(p.down / j.down, 2)}`, '≥ 1.6'],
      ['relay / direct latency', fmt(p.lat / d.lat, 2), '≤ 1.15'],
      ['relay RSS growth, download stalled at the client (MiB)', fmt(stalledDown, 1), '≤ 32'],
      ['relay RSS growth, upload stalled at the target (MiB)', fmt(stalledUp, 1), '≤ 32'],
      [`relay RSS per idle session, ${IDLE} sessions (KiB)`, fmt(perIdleKiB), '≤ 64'],
    ]));
  } finally {
    await front.stop();
    await Promise.all([target.stop(), hop.stop()]);
    tmp.remove();
  }
}

await main();
