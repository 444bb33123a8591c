import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDb, type TestDb } from '../../support/databases.js';
import { generateKey } from '../../support/keys.js';
import { startNodeProcess, type NodeProcess } from '../../support/node-process.js';
import { ssh, sshOptions } from '../../support/openssh.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

/** Bytes the owner streams. */
const total = 100_000_000;

interface Run { seconds: number; bytes: number; rssGrowthMb: number }

/** Resident memory of a process, in bytes (Linux). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

describe('live sessions: a stalled viewer never slows the owner nor grows memory (portal in its own process)', function () {
  this.timeout(900_000);
  let db: TestDb;
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess;
  let target: SshdTarget;
  let key: string;

  const admin = async (...args: string[]): Promise<string> => {
    const r = await ssh(node.port, key, 'admin', args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };

  before(async function () {
    requireSshd(this);
    db = await freshDb(this, 'sqlite3');
    dir = tempDir('sshportal-stall-');
    const token = randomBytes(12).toString('hex');
    node = await startNodeProcess({ name: 'test-node', db: db.flags, logsLocation: join(dir.path, 'log'), env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: token } });
    key = generateKey(join(dir.path, 'admin_key'), 'admin').path;
    expect((await ssh(node.port, key, `invite:${token}`, [])).code).to.equal(0);
    const pub = (await admin('key', 'inspect', 'default')).match(/"PubKey": "([^"]+)"/)?.[1] ?? '';
    target = await startSshd({ authorizedKeys: [pub.replace(/\\n$/, '')] });
    await admin('host', 'create', '--name=web01', `${target.user}@127.0.0.1:${target.port}`);
  });
  after(async () => {
    await node?.stop();
    await target?.stop();
    await db?.drop();
    dir?.remove();
  });

  /** The owner streams `total` bytes in a PTY session; with `stalled`, a watcher that never reads is attached first. */
  async function run(stalled: boolean): Promise<Run> {
    const cmd = `echo ready; sleep 2; yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -c ${total}`;
    const owner = spawn('ssh', ['-tt', ...sshOptions(node.port, key), 'web01@127.0.0.1', cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
    owner.stderr.resume();
    let bytes = 0;
    let first = 0;
    // The clock starts with the stream, after the `ready` line.
    owner.stdout.on('data', (d: Buffer) => { if (bytes < 100 && bytes + d.length >= 100) first = performance.now(); bytes += d.length; });
    const exited = new Promise<number | null>((r) => owner.once('exit', (c) => r(c)));
    await waitFor(() => bytes > 0, 15_000, 'the owner session');
    let viewer: ReturnType<typeof spawn> | null = null;
    if (stalled) {
      const id = (await admin('session', 'ls', '--active', '-q')).split('\n')[0] ?? '';
      // Its stdout is never read: the pipe fills, ssh stops reading, the portal's channel stops taking data.
      viewer = spawn('ssh', ['-tt', ...sshOptions(node.port, key), `watch:${id}@127.0.0.1`], { stdio: ['pipe', 'pipe', 'pipe'] });
      viewer.stderr?.resume();
      await waitFor(async () => / 1$/m.test(await admin('session', 'ls', '--active')), 10_000, 'the watcher');
    }
    const rss0 = rssOf(node.child.pid as number);
    let peak = rss0;
    const sampler = setInterval(() => { peak = Math.max(peak, rssOf(node.child.pid as number)); }, 25);
    const code = await exited;
    const seconds = (performance.now() - first) / 1000;
    clearInterval(sampler);
    expect(code).to.equal(0);
    viewer?.kill();
    return { seconds, bytes, rssGrowthMb: (peak - rss0) / 1e6 };
  }

  it('owner throughput within 40 % and portal RSS within +32 MB while a viewer never reads (100 MB streamed)', async () => {
    const base: Run[] = [];
    const stall: Run[] = [];
    // A warm-up of each kind first (code compiled, heap grown to its working size), then
    // interleaved runs, best of each: the machine is shared, and its noise only ever slows a run down.
    await run(false);
    await run(true);
    for (let i = 0; i < 3; i++) {
      base.push(await run(false));
      stall.push(await run(true));
    }
    const best = (rs: Run[]): number => Math.min(...rs.map((r) => r.seconds));
    const mbps = (rs: Run[]): string => rs.map((r) => (r.bytes / 1e6 / r.seconds).toFixed(0)).join(', ');
    const rss = (rs: Run[]): string => rs.map((r) => r.rssGrowthMb.toFixed(1)).join(', ');
    console.log(`      owner MB/s without a viewer: ${mbps(base)}; with a stalled viewer: ${mbps(stall)}; portal RSS growth without: ${rss(base)} MB, with: ${rss(stall)} MB`);
    for (const r of [...base, ...stall]) expect(r.bytes).to.be.at.least(total);
    // A viewer that held the owner back would hold it at the viewer's pace (nothing, for a stalled one);
    // runs of the same kind differ by up to 30 % on this 2-core machine, so 10 % failed on noise alone.
    // A viewer also costs the portal its terminal emulator (5–8 % of a core under bulk output): late in
    // a full `npm test` the stalled runs read 34–35 MB/s against 43–45 (1.28 ×) where standalone runs
    // of the same commit, and of the one before, show none; 40 % still tells that apart from a hold.
    expect(best(stall)).to.be.at.most(best(base) * 1.4);
    for (const r of stall) expect(r.rssGrowthMb).to.be.below(32);
  });
});
