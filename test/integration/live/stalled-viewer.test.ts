import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { Session, SshKey } from '../../../lib/db/entities/index.js';
import { sshOptions } from '../../support/openssh.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';

/** Bytes the owner streams. */
const total = 100_000_000;

interface Run { seconds: number; bytes: number; rssGrowthMb: number }

describe('live sessions: a stalled viewer never slows the owner nor grows memory', function () {
  this.timeout(600_000);
  let portal: Portal;
  let target: SshdTarget;

  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3' });
    const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    const r = await portal.ssh(['host', 'create', '--name=web01', `${target.user}@127.0.0.1:${target.port}`]);
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
  });

  /** The owner streams `total` bytes in a PTY session; with `stalled`, a watcher that never reads is attached first. */
  async function run(stalled: boolean): Promise<Run> {
    const m = portal.app.db.manager;
    const last = async (): Promise<number> => (await m.findOne(Session, { where: {}, order: { id: 'DESC' } }))?.id ?? 0;
    const before = await last();
    const cmd = `sleep 3; yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -c ${total}`;
    const owner = spawn('ssh', ['-tt', ...sshOptions(portal.port, portal.adminKey), 'web01@127.0.0.1', cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
    owner.stderr.resume();
    let bytes = 0;
    let first = 0;
    owner.stdout.on('data', (d: Buffer) => { if (bytes === 0) first = performance.now(); bytes += d.length; });
    const exited = new Promise<number | null>((r) => owner.once('exit', (c) => r(c)));
    await waitFor(async () => (await last()) > before, 10_000, 'the owner session');
    const id = await last();
    let viewer: ReturnType<typeof spawn> | null = null;
    if (stalled) {
      // Its stdout is never read: the pipe fills, ssh stops reading, the portal's channel stops taking data.
      viewer = spawn('ssh', ['-tt', ...sshOptions(portal.port, portal.adminKey), `watch:${id}@127.0.0.1`], { stdio: ['pipe', 'pipe', 'pipe'] });
      viewer.stderr?.resume();
      await waitFor(async () => / 1\n/.test((await portal.ssh(['session', 'ls', '--active'])).stdout), 10_000, 'the watcher');
    }
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 25);
    const code = await exited;
    const seconds = (performance.now() - first) / 1000;
    clearInterval(sampler);
    expect(code).to.equal(0);
    viewer?.kill();
    return { seconds, bytes, rssGrowthMb: (peak - rss0) / 1e6 };
  }

  it('owner throughput within 10 % and portal RSS within +32 MB while a viewer never reads (100 MB streamed)', async () => {
    const base: Run[] = [];
    const stall: Run[] = [];
    // Interleaved, best of each: the machine is shared, noise is one-sided.
    for (let i = 0; i < 2; i++) {
      base.push(await run(false));
      stall.push(await run(true));
    }
    const best = (rs: Run[]): number => Math.min(...rs.map((r) => r.seconds));
    const mbps = (rs: Run[]): string => rs.map((r) => (r.bytes / 1e6 / r.seconds).toFixed(0)).join(', ');
    console.log(`      owner MB/s without a viewer: ${mbps(base)}; with a stalled viewer: ${mbps(stall)}; RSS growth with it: ${stall.map((r) => r.rssGrowthMb.toFixed(1)).join(', ')} MB`);
    for (const r of [...base, ...stall]) expect(r.bytes).to.be.at.least(total);
    expect(best(stall)).to.be.at.most(best(base) * 1.10);
    for (const r of stall) expect(r.rssGrowthMb).to.be.below(32);
  });
});
