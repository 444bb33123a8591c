/**
 * CPU per relayed login (issue 13), the real portal beside the least ssh2
 * needs for the same relay (bench/ssh2-floor.ts: both transports, no
 * database, ACL, audit or recording), each in its own process, against the
 * same sshd, in one run: ROUNDS of LOGINS simultaneous `ssh web@… true`
 * after a warm-up of 5, the CPU of the server process per login (user +
 * system) for each round, and the median of the last five (a warm process:
 * see loginRounds in measure.ts). Then keystroke echo through each of them
 * and direct, three terminals typed into in turn (KEYS keys each), with the
 * CPU each server process spent per key.
 *
 *   npm run bench:login   (env BENCH_LOGINS, default 100; BENCH_ROUNDS, default 20; BENCH_KEYS, default 400)
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generateKey, tempDir } from '../test/support/keys.js';
import { startSshd } from '../test/support/sshd.js';
import { startBenchProcess, type BenchProcess } from './child.js';
import { echoLatencies, interleavedEchoLatencies, percentile } from './keystroke.js';
import { LOGIN_ROUNDS, loginRounds, signed, simultaneous, table, timed, WARM_ROUNDS, warmLoginCpu } from './measure.js';
import { requireSshdForBench } from './sshd-check.js';
import { sshOpts } from './uploads.js';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? LOGIN_ROUNDS);
const KEYS = Number(process.env.BENCH_KEYS ?? 400);

/** CPU ms per login of `server` per round (after a warm-up of 5), and the rounds' wall times (s). */
async function rounds(server: BenchProcess, login: string): Promise<{ cpuMs: number[]; wallS: number[] }> {
  await simultaneous(login, 5);
  return loginRounds(server, login, LOGINS, ROUNDS);
}

async function main(): Promise<void> {
  requireSshdForBench();
  const tmp = tempDir('sshportal-bench-login-');
  const user = generateKey(join(tmp.path, 'user'));
  const portalKey = generateKey(join(tmp.path, 'portal'));
  const floorHost = generateKey(join(tmp.path, 'floor-host'));
  const target = await startSshd({ authorizedKeys: [user.publicKey, portalKey.publicKey] });
  const inviteToken = randomBytes(12).toString('hex');
  const targetCfg = { host: target.host, port: target.port, user: target.user };
  const portal = await startBenchProcess('portal.ts', { dir: tmp.path, inviteToken, portalKey, target: targetCfg });
  const floor = await startBenchProcess('ssh2-floor.ts', { hostKey: floorHost.privateKey, userPublicKey: user.publicKey, portalKey, target: targetCfg });
  const base = `ssh ${sshOpts(user.path).join(' ')}`;
  try {
    await timed(`${base} -p ${portal.port} invite:${inviteToken}@127.0.0.1`);
    const p = await rounds(portal, `${base} -p ${portal.port} web@127.0.0.1 true`);
    const f = await rounds(floor, `${base} -p ${floor.port} web@127.0.0.1 true`);
    const fmt = (xs: number[], d: number): string => xs.map((x) => x.toFixed(d)).join(' / ');
    console.log(`\nCPU per relayed login, ${LOGINS} simultaneous \`ssh web@… true\`, ${ROUNDS} rounds after a warm-up of 5, ${new Date().toISOString()}\n`);
    console.log(table(['server', 'CPU ms per login (rounds)', `warm (median of the last ${WARM_ROUNDS})`, 'wall s (rounds)'], [
      ['real portal (SQLite, recording on)', fmt(p.cpuMs, 1), warmLoginCpu(p.cpuMs).toFixed(1), fmt(p.wallS, 2)],
      ['bare ssh2 relay (bench/ssh2-floor.ts)', fmt(f.cpuMs, 1), warmLoginCpu(f.cpuMs).toFixed(1), fmt(f.wallS, 2)],
    ]));
    // The same three ways for a keystroke's echo, typed in turn into three terminals open at once.
    const opts = sshOpts(user.path);
    // A first short session each loads what a terminal session loads lazily (the portal's terminal
    // emulator and recorder: ~5 % of the portal's CPU over 600 keys when left in). Then each server's CPU
    // over the typing (its login and 20 unmeasured keys included), per measured key.
    await echoLatencies([...opts, '-p', String(floor.port), 'web@127.0.0.1'], 10);
    await echoLatencies([...opts, '-p', String(portal.port), 'web@127.0.0.1'], 10);
    const [floorCpu0, portalCpu0] = [await floor.cpu(), await portal.cpu()];
    const [d = [], fk = [], pk = []] = await interleavedEchoLatencies([
      [...opts, '-p', String(target.port), `${target.user}@127.0.0.1`], [...opts, '-p', String(floor.port), 'web@127.0.0.1'], [...opts, '-p', String(portal.port), 'web@127.0.0.1'],
    ], KEYS);
    const perKeyUs = (cpu0: number, cpu1: number): string => ((cpu1 - cpu0) * 1e6 / KEYS).toFixed(0);
    const cpuPerKey = { floor: perKeyUs(floorCpu0, await floor.cpu()), portal: perKeyUs(portalCpu0, await portal.cpu()) };
    const row = (name: string, xs: number[], cpu: string): string[] => [name, `${percentile(xs, 50).toFixed(2)} / ${percentile(xs, 99).toFixed(2)}`,
      xs === d ? '—' : `${signed(percentile(xs, 50) - percentile(d, 50))} / ${signed(percentile(xs, 99) - percentile(d, 99))}`, cpu];
    console.log(`\nKeystroke echo, ${KEYS} keys into each of three terminals open at once, typed in turn\n`);
    console.log(table(['path', 'median / p99 (ms)', 'vs direct', 'server CPU per key (µs)'],
      [row('direct to sshd', d, '—'), row('bare ssh2 relay', fk, cpuPerKey.floor), row('real portal', pk, cpuPerKey.portal)]));
  } finally {
    await Promise.all([portal.stop(), floor.stop()]);
    await target.stop();
    tmp.remove();
  }
}

await main();
