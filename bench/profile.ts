/**
 * One workload through the real portal, for profiling (`BENCH_CPU_PROF=dir`
 * writes the portal's V8 CPU profile) and for CPU figures: MODE=up|down (MB
 * MiB, default 1024) or MODE=login (100 simultaneous `ssh web@portal true`).
 * Prints wall time and the portal's CPU (user and system from /proc).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, tempDir } from '../test/support/keys.js';
import { startSshd } from '../test/support/sshd.js';
import { startBenchProcess } from './child.js';
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
const s0 = st();
const c0 = await portal.cpu();
const t0 = performance.now();
if (mode === 'up') await timed(`head -c ${MB}M /dev/zero | ${base} web@127.0.0.1 'cat > /dev/null'`);
else if (mode === 'down') await timed(`${base} web@127.0.0.1 'head -c ${MB}M /dev/zero' > /dev/null`);
else await Promise.all(Array.from({ length: 100 }, () => timed(`${base} web@127.0.0.1 true`, 120000)));
const c1 = await portal.cpu();
const s1 = st(); console.log('user ms', (s1[0] ?? 0) - (s0[0] ?? 0), 'sys ms', (s1[1] ?? 0) - (s0[1] ?? 0));
console.log(mode, 'ms', (performance.now() - t0).toFixed(0), 'portal cpu s', (c1 - c0).toFixed(2), mode === 'login' ? `per login ms ${((c1-c0)*10).toFixed(1)}` : `per GiB ${((c1 - c0) * 1024 / MB).toFixed(2)}`);
await portal.stop(); await target.stop(); tmp.remove();
