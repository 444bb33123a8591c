/**
 * One workload through the real portal, for profiling (`BENCH_CPU_PROF=dir`
 * writes the portal's V8 CPU profile) and for CPU figures: MODE=up|down (MB
 * MiB, default 1024; the `ssh` client's CPU is printed too), MODE=login (100
 * simultaneous `ssh web@portal true`) or MODE=keys (keystroke echo, KEYS keys,
 * direct then through the portal). Prints wall time and the portal's CPU (user
 * and system from /proc).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, tempDir } from '../test/support/keys.js';
import { startSshd } from '../test/support/sshd.js';
import { startBenchProcess } from './child.js';
import { echoLatencies, percentile } from './keystroke.js';
import { timed } from './measure.js';
const MB = Number(process.env.MB ?? 1024);
const tmp = tempDir('hperf-');
const user = generateKey(join(tmp.path, 'user'));
const portalKey = generateKey(join(tmp.path, 'portal'));
const target = await startSshd({ authorizedKeys: [user.publicKey, portalKey.publicKey] });
const inviteToken = randomBytes(12).toString('hex');
const portal = await startBenchProcess('portal.ts', { dir: tmp.path, inviteToken, portalKey, target: { host: target.host, port: target.port, user: target.user } });
const base = `ssh -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR -c aes128-gcm@openssh.com -i ${user.path} -p ${portal.port}`;
await timed(`${base} invite:${inviteToken}@127.0.0.1`);
const mode = process.env.MODE ?? 'up';
await new Promise((r) => setTimeout(r, Number(process.env.SLEEP_BEFORE ?? 0)));
const st = (): number[] => (readFileSync(`/proc/${String(portal.child.pid)}/stat`, 'utf8').split(') ')[1] ?? '').split(' ').slice(11, 13).map((x) => Number(x) * 10);
// Per-thread CPU of the portal (main thread, libuv pool, V8 helpers), ms.
const threads = (): Map<string, number> => new Map(readdirSync(`/proc/${String(portal.child.pid)}/task`).map((t) => {
  const stat = readFileSync(`/proc/${String(portal.child.pid)}/task/${t}/stat`, 'utf8');
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [`${t} ${name}`, (Number(f[11]) + Number(f[12])) * 10];
}));
// System calls (read/write families, from /proc/PID/io) and context switches of the portal: on machines
// where a system call or a wake-up is dear, their number per byte moved is what the CPU figure follows.
const counts = (): Map<string, number> => {
  const pid = String(portal.child.pid);
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const pick = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  // Minor page faults: on PVM guests one costs ~16 µs (a C loop touching fresh pages), ~100 × bare metal.
  const minflt = Number((readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ')[7] ?? 0);
  return new Map([['minor faults', minflt], ['read calls', pick(io, 'syscr')], ['write calls', pick(io, 'syscw')], ['bytes read', pick(io, 'rchar')], ['bytes written', pick(io, 'wchar')],
    ['voluntary switches', pick(status, 'voluntary_ctxt_switches')], ['involuntary switches', pick(status, 'nonvoluntary_ctxt_switches')]]);
};
const n0 = counts();
const th0 = threads();
const s0 = st();
const c0 = await portal.cpu();
const t0 = performance.now();
if (mode === 'up') {
  await timed(`dd if=/dev/zero bs=1M count=${MB} status=none | /usr/bin/time -o ${tmp.path}/cpu -f '%U %S' ${base} web@127.0.0.1 'cat > /dev/null'`);
  const client = readFileSync(`${tmp.path}/cpu`, 'utf8').trim().split(/\s+/).map(Number).reduce((a, b) => a + b, 0);
  console.log('ssh client cpu s per GiB', (client * 1024 / MB).toFixed(2));
} else if (mode === 'idle') {
  await new Promise((r) => setTimeout(r, Number(process.env.SECS ?? 5) * 1000));
} else if (mode === 'keys') {
  const keys = Number(process.env.KEYS ?? 300);
  const opts = base.split(' ').slice(1, -2);
  // A first short run loads what a PTY session loads lazily (terminal emulator, recorder): not per key.
  await echoLatencies([...opts, '-p', String(portal.port), 'web@127.0.0.1'], 10);
  for (const [name, args] of [['direct', [...opts, '-p', String(target.port), `${target.user}@127.0.0.1`]], ['portal', [...opts, '-p', String(portal.port), 'web@127.0.0.1']]] as const) {
    const k0 = await portal.cpu();
    const ms = await echoLatencies([...args], keys, Number(process.env.WARMUP ?? 20));
    const perKey = ((await portal.cpu()) - k0) * 1e6 / keys;
    console.log(`echo ${name} median ${percentile(ms, 50).toFixed(2)} p99 ${percentile(ms, 99).toFixed(2)} ms; portal CPU per key (its login included) ${perKey.toFixed(0)} µs`);
  }
}
else if (mode === 'down') await timed(`${base} web@127.0.0.1 'head -c ${MB}M /dev/zero' > /dev/null`);
else if (mode === 'login') {
  // ROUNDS of 100 simultaneous logins; each round's portal CPU is printed (the first pays V8's compilations).
  for (let r = 0; r < Number(process.env.ROUNDS ?? 1); r++) {
    const r0 = await portal.cpu();
    await Promise.all(Array.from({ length: 100 }, () => timed(`${base} web@127.0.0.1 true`, 120000)));
    console.log(`round ${String(r + 1)}: per login ms ${(((await portal.cpu()) - r0) * 10).toFixed(1)}`);
  }
}
const c1 = await portal.cpu();
const th1 = threads();
console.log('portal counts:', [...counts()].map(([k, v]) => `${k} ${String(v - (n0.get(k) ?? 0))}`).join(', '));
console.log('portal threads (CPU ms):', [...th1].map(([k, v]) => [k, v - (th0.get(k) ?? 0)] as const).filter(([, v]) => v > 0).map(([k, v]) => `${k}: ${String(v)}`).join(', '));
const s1 = st(); console.log('user ms', (s1[0] ?? 0) - (s0[0] ?? 0), 'sys ms', (s1[1] ?? 0) - (s0[1] ?? 0));
console.log(mode, 'ms', (performance.now() - t0).toFixed(0), 'portal cpu s', (c1 - c0).toFixed(2), mode === 'login' ? `per login ms ${((c1-c0)*10).toFixed(1)}` : `per GiB ${((c1 - c0) * 1024 / MB).toFixed(2)}`);
await portal.stop(); await target.stop(); tmp.remove();
