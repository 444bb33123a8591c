/**
 * Scale benchmark of issue 13, item 2 (`npm run bench:scale2k`): the REAL
 * portal (App in its own process, SQLite, recording on, sshportal's default
 * limits) relays 2,000 concurrent sessions, then
 *
 *   1. RSS per session: the portal's RSS after a GC, with the sessions open,
 *      minus its RSS before (after a warm-up), divided by the sessions;
 *   2. errors: sessions that failed to open, or were closed while held (0);
 *   3. `ssh admin@portal info` with the real OpenSSH client, several times
 *      while they are open: median and max wall time (goal ≤ 200 ms), the
 *      same with no session open for comparison, and the portal's event-loop
 *      delay meanwhile;
 *   4. 200 simultaneous new logins `ssh web@portal true` with the real
 *      OpenSSH client (as the admin), sessions still open: refusals (0).
 *
 * Who does what, each in its own process so that none steals the portal's
 * event loop: the target is bench/ssh-target.ts (an ssh2 server: `cat` for
 * every command, `true` exits 0); the sessions come from load generators of
 * ssh2 clients (bench/load-child.ts), each session one exec channel running
 * `cat` that stays open; they log in as BENCH_USERS users created in the
 * database, round-robin, because one user may hold at most
 * --max-user-connections (default --max-connections / 8) connections.
 *
 * Env knobs:
 *   BENCH_SESSIONS     concurrent relayed sessions (default 2000)
 *   BENCH_LOGINS       simultaneous new OpenSSH logins while they are open (default 200)
 *   BENCH_INFO_RUNS    `ssh admin@portal info` runs in each phase (default 7)
 *   BENCH_USERS        portal users the sessions are spread over (default 10)
 *   BENCH_LOADERS      load generator processes (default 2)
 *   BENCH_OPEN_CONCURRENCY  sessions each generator opens at once (default 16)
 *   BENCH_CPU_PROF, BENCH_NODE_FLAGS  as for every benchmark (bench/child.ts)
 *
 * Needs the OpenSSH client and about 3 descriptors per session in the portal
 * (client socket, target socket, recording): it stops early when `ulimit -n`
 * (hard limit; Node raises its soft limit to it) is too low.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openFilesLimit } from '../lib/server/connection-limit.js';
import { generateKey, tempDir } from '../test/support/keys.js';
import { startBenchProcess, type BenchProcess, type LoopDelay } from './child.js';
import { startLoader, sumStatus, type LoadStatus, type Loader } from './load.js';
import { median, sleep, table, timed } from './measure.js';
import { sshOpts } from './uploads.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 2000);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const INFO_RUNS = Number(process.env.BENCH_INFO_RUNS ?? 7);
const USERS = Number(process.env.BENCH_USERS ?? 10);
const LOADERS = Number(process.env.BENCH_LOADERS ?? 2);
const OPEN_CONCURRENCY = Number(process.env.BENCH_OPEN_CONCURRENCY ?? 16);

/** One series of `info` runs, each followed by the same login straight to the target (the machine's floor at that moment). */
interface InfoSeries { ms: number[]; cpuMs: number[]; directMs: number[] }

/** Runs `script` then `direct` `n` times, 200 ms apart: wall times, and the portal's CPU time during each `script`, ms. */
async function series(portal: BenchProcess, script: string, direct: string, n: number): Promise<InfoSeries> {
  const out: InfoSeries = { ms: [], cpuMs: [], directMs: [] };
  for (let i = 0; i < n; i++) {
    const c0 = await portal.cpu();
    out.ms.push(await timed(script, 60_000));
    out.cpuMs.push(((await portal.cpu()) - c0) * 1000);
    out.directMs.push(await timed(direct, 60_000));
    await sleep(200);
  }
  return out;
}

/** Starts `n` copies of `script` at once; the failures (with their stderr) and the wall time in ms. */
async function burst(script: string, n: number): Promise<{ failed: string[]; ms: number }> {
  const t0 = performance.now();
  const results = await Promise.allSettled(Array.from({ length: n }, () => timed(script, 120_000)));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  return { failed, ms: performance.now() - t0 };
}

const f = (n: number, d = 0): string => n.toFixed(d);
const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
const lagText = (l: LoopDelay): string => `${f(l.p50)} / ${f(l.p99)} / ${f(l.max)}`;
const medMax = (xs: number[]): string => `${f(median(xs))} / ${f(Math.max(...xs))}`;

async function main(): Promise<void> {
  const fdLimit = openFilesLimit() ?? 0;
  const fdsNeeded = SESSIONS * 3 + 1000;
  if (fdLimit < fdsNeeded) {
    console.error(`open-files limit ${fdLimit} is too low for ${SESSIONS} sessions (the portal needs about ${fdsNeeded}): raise it, e.g. \`ulimit -n ${fdsNeeded}\` as root`);
    process.exit(2);
  }
  const tmp = tempDir('sshportal-bench-scale2k-');
  const admin = generateKey(join(tmp.path, 'admin'));
  const portalKey = generateKey(join(tmp.path, 'portal'));
  const userKeys = Array.from({ length: USERS }, (_, i) => ({ name: `load${i}`, key: generateKey(join(tmp.path, `load${i}`)) }));
  const target = await startBenchProcess('ssh-target.ts', {});
  const inviteToken = randomBytes(12).toString('hex');
  const portal = await startBenchProcess('portal.ts', {
    dir: tmp.path, inviteToken, portalKey, target: { host: '127.0.0.1', port: target.port, user: 'bench' }, limits: 'default',
    users: userKeys.map((u) => ({ name: u.name, publicKey: u.key.publicKey })),
  });
  const base = `ssh ${sshOpts(admin.path).join(' ')} -p ${portal.port}`;
  const loaders: Loader[] = [];
  try {
    await timed(`${base} invite:${inviteToken}@127.0.0.1`);
    // Warm-up: modules a login loads lazily and V8's first compilations are paid once per process, not per session.
    await burst(`${base} web@127.0.0.1 true`, 5);
    const info = `${base} admin@127.0.0.1 info`;
    // OpenSSH straight to the ssh2 target: what one login costs this machine at that moment, without the portal.
    const direct = `ssh ${sshOpts(admin.path).join(' ')} -p ${target.port} bench@127.0.0.1 true`;
    const infoIdle = await series(portal, info, direct, INFO_RUNS);
    await sleep(1000);
    const rss0 = await portal.rss();
    const fds0 = portal.fds();
    for (let i = 0; i < LOADERS; i++) loaders.push(await startLoader());
    const users = userKeys.map((u) => ({ login: 'web', privateKey: u.key.privateKey }));
    process.stderr.write(`opening ${SESSIONS} relayed sessions (${LOADERS} generators, ${OPEN_CONCURRENCY} at a time each)…\n`);
    const cpu0 = await portal.cpu();
    const t0 = performance.now();
    const share = (i: number): number => Math.floor(SESSIONS / LOADERS) + (i < SESSIONS % LOADERS ? 1 : 0);
    const opened = sumStatus(await Promise.all(loaders.map((l, i) => l.open({
      port: portal.port, users, n: share(i), concurrency: OPEN_CONCURRENCY, command: 'cat', timeoutMs: 120_000,
    }))));
    const openSecs = (performance.now() - t0) / 1000;
    const openCpuMs = ((await portal.cpu()) - cpu0) * 1000 / SESSIONS;
    process.stderr.write(`${opened.open} open, ${opened.failed} failed to open${opened.firstError ? ` (first: ${opened.firstError})` : ''}\n`);
    await sleep(2000);
    const rss1 = await portal.rss();
    const fds1 = portal.fds();
    // What the open sessions cost when nothing happens (keepalives every 15 s each, the access re-check every 2 s).
    const idleCpu0 = await portal.cpu();
    await sleep(5000);
    const idleCpuPct = ((await portal.cpu()) - idleCpu0) / 5 * 100;
    await portal.lag();
    process.stderr.write(`\`ssh admin@portal info\` × ${INFO_RUNS} with the sessions open…\n`);
    const infoLoaded = await series(portal, info, direct, INFO_RUNS);
    const infoLag = await portal.lag();
    process.stderr.write(`${LOGINS} simultaneous \`ssh web@portal true\`…\n`);
    const logins = burst(`${base} web@127.0.0.1 true`, LOGINS);
    await sleep(300);
    const infoDuringBurst = await timed(info, 60_000).catch(() => Number.NaN);
    const { failed: refused, ms: loginMs } = await logins;
    const burstLag = await portal.lag();
    await sleep(1000);
    const held: LoadStatus = sumStatus(await Promise.all(loaders.map((l) => l.status())));
    const errors = held.failed + held.lost;
    const perSessionKiB = ((rss1 - rss0) * 1024) / SESSIONS;
    const infoMax = Math.max(...infoLoaded.ms);

    console.log(`\nScale benchmark (issue 13, item 2) — real portal (SQLite, recording on, default limits), ${new Date().toISOString()}`);
    console.log(`${SESSIONS} sessions from ${LOADERS} ssh2 load generators as ${USERS} users; target: ssh2 server (bench/ssh-target.ts); open-files limit ${fdLimit}\n`);
    console.log(table(['figure', 'measured', 'goal', ''], [
      [`relayed sessions open (exec \`cat\`, held)`, `${held.open} of ${SESSIONS}`, `${SESSIONS}`, verdict(held.open === SESSIONS)],
      ['errors: failed to open / closed while held', `${held.failed} / ${held.lost}`, '0', verdict(errors === 0)],
      [`time to open them (s); portal CPU per session opened (ms)`, `${f(openSecs, 1)}; ${f(openCpuMs, 1)}`, '—', ''],
      ['portal RSS before → with the sessions (MiB)', `${f(rss0)} → ${f(rss1)}`, '—', ''],
      ['RSS per relayed session (KiB)', f(perSessionKiB), '≤ 64', verdict(perSessionKiB <= 64)],
      ['portal file descriptors before → with the sessions', `${fds0} → ${fds1}`, '—', ''],
      ['portal CPU with the sessions open and idle (% of one core)', f(idleCpuPct, 1), '—', ''],
      [`\`ssh admin@portal info\` median / max, no session (ms)`, medMax(infoIdle.ms), '—', ''],
      [`\`ssh admin@portal info\` median / max, ${SESSIONS} sessions (ms)`, medMax(infoLoaded.ms), '≤ 200', verdict(infoMax <= 200)],
      ['OpenSSH `ssh … true` straight to the target at the same moments, median: no session / with the sessions (ms)', `${f(median(infoIdle.directMs))} / ${f(median(infoLoaded.directMs))}`, '—', ''],
      ['portal CPU per `info`, median: no session → with the sessions (ms)', `${f(median(infoIdle.cpuMs), 1)} → ${f(median(infoLoaded.cpuMs), 1)}`, '—', ''],
      ['portal event-loop delay p50 / p99 / max during those (ms)', lagText(infoLag), '—', ''],
      [`${LOGINS} simultaneous new logins \`ssh web@portal true\` (OpenSSH): refused`, `${refused.length}`, '0', verdict(refused.length === 0)],
      [`… wall time (s); \`info\` answered during them (ms)`, `${f(loginMs / 1000, 1)}; ${f(infoDuringBurst)}`, '—', ''],
      ['portal event-loop delay p50 / p99 / max during the logins (ms)', lagText(burstLag), '—', ''],
    ]));
    if (refused.length > 0) console.log(`\nfirst refusal: ${refused[0]}`);
    if (held.firstError) console.log(`first session error: ${held.firstError}`);
    if (errors > 0 || refused.length > 0 || held.open !== SESSIONS) process.exitCode = 1;
  } finally {
    await Promise.all(loaders.map((l) => l.stop()));
    await portal.stop();
    await target.stop();
    tmp.remove();
  }
}

await main();
