/**
 * Throughput through a reverse-tunnel host (`npm run bench:tunnel`): the real
 * portal (its own process, SQLite, recording on) relays uploads to the same
 * sshd once as a directly reachable host (`web`) and once as a tunnel host
 * (`pi42`) behind a real OpenSSH connector (`ssh -N -R`) on this machine. One
 * run, medians, the ratio computed in-run (goal: tunnel ≥ 0.8 × direct).
 *
 * Env: BENCH_MB (upload size, default 512), BENCH_RUNS (default 3).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { generateKey, tempDir } from '../test/support/keys.js';
import { runProcess } from '../test/support/process.js';
import { startSshd } from '../test/support/sshd.js';
import { startBenchProcess, type BenchProcess } from './child.js';
import { median, sleep, table, timed } from './measure.js';
import { requireSshdForBench } from './sshd-check.js';

const MB = Number(process.env.BENCH_MB ?? 512);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CIPHER = 'aes128-gcm@openssh.com';

/** Medians of MB/s and of the portal's CPU seconds per GiB over RUNS uploads. */
async function uploads(portal: BenchProcess, script: string): Promise<{ mbps: number; cpuPerGiB: number }> {
  const mbps: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = await portal.cpu();
    const ms = await timed(script);
    cpu.push((((await portal.cpu()) - c0) * 1024) / MB);
    mbps.push((MB * 1000) / ms);
  }
  return { mbps: median(mbps), cpuPerGiB: median(cpu) };
}

async function main(): Promise<void> {
  requireSshdForBench();
  const tmp = tempDir('sshportal-bench-tunnel-');
  const user = generateKey(join(tmp.path, 'user'));
  const connectorKey = generateKey(join(tmp.path, 'connector'));
  const portalKey = generateKey(join(tmp.path, 'portal'));
  const target = await startSshd({ authorizedKeys: [portalKey.publicKey] });
  const inviteToken = randomBytes(12).toString('hex');
  const portal = await startBenchProcess('portal.ts', { dir: tmp.path, inviteToken, portalKey, target: { host: target.host, port: target.port, user: target.user } });
  const opts = ['-F', '/dev/null', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', '-p', String(portal.port)];
  const admin = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    runProcess('ssh', [...opts, '-i', user.path, 'admin@127.0.0.1', ...args]);
  const connector = { kill: (): void => undefined };
  try {
    await runProcess('ssh', [...opts, '-i', user.path, `invite:${inviteToken}@127.0.0.1`]);
    await admin(['host', 'create', '--tunnel', `${target.user}@pi42`]);
    const token = /host-invite:([A-Za-z0-9]+)@/.exec((await admin(['host', 'tunnel-invite', 'pi42'])).stdout)?.[1];
    if (!token) throw new Error('no host invite token');
    const child = spawn('ssh', [...opts, '-i', connectorKey.path, '-N', '-o', 'ExitOnForwardFailure=yes', '-c', CIPHER, '-R', `22:127.0.0.1:${target.port}`, `host-invite:${token}@127.0.0.1`], { stdio: 'ignore' });
    connector.kill = () => child.kill();
    for (let i = 0; !(await admin(['host', 'tunnels', 'pi42'])).stdout.includes('Total: 1 '); i++) {
      if (i > 100) throw new Error('the connector did not come up');
      await sleep(100);
    }
    const base = `ssh ${[...opts, '-c', CIPHER, '-i', user.path].join(' ')}`;
    const up = (host: string): string => `head -c ${MB}M /dev/zero | ${base} ${host}@127.0.0.1 'cat > /dev/null'`;
    process.stderr.write(`uploads (${MB} MiB × ${RUNS}), direct host then tunnel host…\n`);
    const load0 = loadavg()[0]?.toFixed(1);
    const direct = await uploads(portal, up('web'));
    const tunnel = await uploads(portal, up('pi42'));
    const ratio = tunnel.mbps / direct.mbps;
    const f = (n: number, d = 0): string => n.toFixed(d);
    console.log(`\nTunnel benchmark — real portal (SQLite, recording on), real OpenSSH connector, ${CIPHER}, ${MB} MiB uploads, medians of ${RUNS}, load ${load0}, ${new Date().toISOString()}\n`);
    console.log(table(['what', 'direct host', 'tunnel host', 'ratio', 'goal', ''], [
      ['upload throughput (MB/s)', f(direct.mbps), f(tunnel.mbps), `${f(ratio, 2)} ×`, '≥ 0.8 ×', ratio >= 0.8 ? 'met' : 'NOT met'],
      ['portal CPU per GiB (s)', f(direct.cpuPerGiB, 2), f(tunnel.cpuPerGiB, 2), `${f(tunnel.cpuPerGiB / direct.cpuPerGiB, 2)} ×`, '—', ''],
    ]));
  } finally {
    connector.kill();
    await portal.stop();
    await target.stop();
    tmp.remove();
  }
}

await main();
