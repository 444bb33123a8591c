import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Channel } from 'ssh2';
import { Event } from '../../../lib/db/entities/index.js';
import { connectChannelAttacker, sampleRss, type Attacker } from '../../support/channel-attacker.js';
import { startPortal, startWebTarget, type Portal } from '../../support/portal.js';
import { requireSshd, type SshdTarget } from '../../support/sshd.js';

const MB = 1024 * 1024;

/** What the admin saw while an attack ran. */
interface Probe { worstMs: number; codes: (number | null)[] }

/**
 * Runs `attack` while the admin runs `info` with the real OpenSSH client every
 * 300 ms; returns the probe results and the RSS growth over the baseline.
 */
async function underAttack(p: Portal, attack: () => Promise<void>): Promise<{ probe: Probe; grownMb: number }> {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  const rss = sampleRss();
  const probe: Probe = { worstMs: 0, codes: [] };
  let done = false;
  const prober = (async () => {
    while (!done || probe.codes.length === 0) {
      const t = Date.now();
      const r = await p.ssh(['info'], { timeoutMs: 20_000 });
      probe.worstMs = Math.max(probe.worstMs, Date.now() - t);
      probe.codes.push(r.code);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  })();
  try {
    await attack();
  } finally {
    done = true;
    await prober;
  }
  return { probe, grownMb: (rss.stop() - baseline) / MB };
}

function expectUnharmed(r: { probe: Probe; grownMb: number }): void {
  expect(r.probe.codes.every((c) => c === 0), `admin exit codes ${r.probe.codes.join(',')}`).to.equal(true);
  expect(r.probe.worstMs, 'slowest admin command (ms)').to.be.below(2_000);
  expect(r.grownMb, 'RSS growth (MB)').to.be.below(200);
}

/** Opens `n` session channels at once; returns those the portal accepted. */
async function openMany(a: Attacker, n: number): Promise<{ open: Channel[]; refused: number }> {
  const results = await Promise.all(Array.from({ length: n }, () => a.openSession()));
  const open = results.filter((r): r is Channel => !(r instanceof Error));
  return { open, refused: n - open.length };
}

/** Sends `perChannel` env requests of `size` bytes on every channel (distinct names), paced; stops when the portal hangs up. */
async function floodEnv(a: Attacker, channels: Channel[], perChannel: number, size: number): Promise<number> {
  const value = 'v'.repeat(size);
  let sent = 0;
  for (let i = 0; i < perChannel && !a.isClosed(); i++) {
    for (const ch of channels) {
      void a.env(ch, `FLOOD_${i}`, value, false);
      sent++;
    }
    await a.paced();
  }
  return sent;
}

/** Opens and closes never-started sessions `n` times, `parallel` at once. */
async function openCloseLoop(a: Attacker, n: number, parallel: number): Promise<number> {
  let opened = 0;
  const worker = async (count: number): Promise<void> => {
    for (let i = 0; i < count && !a.isClosed(); i++) {
      const ch = await a.openSession();
      if (ch instanceof Error) return;
      opened++;
      await new Promise<void>((resolve) => { ch.once('close', () => resolve()); ch.resume(); ch.close(); });
    }
  };
  await Promise.all(Array.from({ length: parallel }, () => worker(Math.ceil(n / parallel))));
  return opened;
}

const limitLines = (p: Portal, limit: string): number =>
  p.logs.filter((l) => l.includes('connection limit reached') && l.includes(`limit=${limit}`)).length;

describe('security: floods of channels and requests on one connection (issue 14, item 3)', function () {
  this.timeout(180_000);
  let portal: Portal;
  let target: SshdTarget;
  let malloryKey: string;

  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3' });
    target = await startWebTarget(portal);
    // mallory: enrolled, in a user group no ACL names.
    expect((await portal.ssh(['usergroup', 'create', '--name', 'nobody'])).code).to.equal(0);
    const invite = await portal.ssh(['user', 'invite', '--group', 'nobody', 'mallory@example.org']);
    const token = /invite:(\w+)/.exec(invite.stdout)?.[1] ?? '';
    const mallory = portal.newKey('mallory');
    expect((await portal.ssh([], { login: `invite:${token}`, key: mallory })).code).to.equal(0);
    malloryKey = readFileSync(mallory, 'utf8');
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
  });

  it('bastion, no ACL: 10,000 env requests of 30 kB on 20 channels: refused early, connection cut, portal unharmed', async () => {
    let opened = 0;
    let sent = 0;
    let attacker: Attacker | undefined;
    const r = await underAttack(portal, async () => {
      attacker = await connectChannelAttacker(portal.port, 'web01', malloryKey);
      const { open } = await openMany(attacker, 20);
      opened = open.length;
      sent = await floodEnv(attacker, open, 500, 30_000);
      await Promise.race([attacker.closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    });
    expectUnharmed(r);
    expect(opened).to.be.at.most(10);
    expect(attacker?.isClosed(), 'the portal hung up on the refused client').to.equal(true);
    expect(sent).to.be.below(10_000);
    expect(await portal.app.db.manager.countBy(Event, { domain: 'session', action: 'deny', entity: 'web01' })).to.be.greaterThan(0);
  });

  it('bastion, no ACL: 2,000 channel opens and 500 pending global requests at once are refused, portal unharmed', async () => {
    let attacker: Attacker | undefined;
    let refusedChannels = 0;
    const r = await underAttack(portal, async () => {
      attacker = await connectChannelAttacker(portal.port, 'web01', malloryKey);
      const a = attacker;
      const forwards = Array.from({ length: 500 }, () => new Promise<boolean>((resolve) => {
        a.client.forwardIn('127.0.0.1', 0, (err) => resolve(!err));
      }));
      const many = await openMany(a, 2_000);
      refusedChannels = many.refused;
      expect((await Promise.all(forwards)).filter(Boolean)).to.have.length(0);
      await Promise.race([a.closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    });
    expectUnharmed(r);
    expect(refusedChannels).to.be.at.least(1_990);
    expect(attacker?.isClosed()).to.equal(true);
  });

  it('bastion with access: sessions, channels, env count and bytes and pending requests stop at their limits, refused properly', async () => {
    const adminKey = readFileSync(portal.adminKey, 'utf8');
    const before = { sessions: limitLines(portal, 'sessions'), env: limitLines(portal, 'env'), pending: limitLines(portal, '"pending requests"') };
    let refusedSessions = 0;
    let envAccepted = 0;
    let envRefused = 0;
    let forwardsRefused = 0;
    const r = await underAttack(portal, async () => {
      const a = await connectChannelAttacker(portal.port, 'web01', adminKey);
      const forwards = Array.from({ length: 200 }, () => new Promise<boolean>((resolve) => {
        a.client.forwardIn('127.0.0.1', 0, (err) => resolve(!err));
      }));
      const many = await openMany(a, 20);
      refusedSessions = many.refused;
      forwardsRefused = (await Promise.all(forwards)).filter((ok) => !ok).length;
      // want-reply env requests: each one is answered, success or failure.
      const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => a.env(many.open[0], `K${i}`, 'x', true)));
      envAccepted = replies.filter((x) => x === true).length;
      envRefused = replies.filter((x) => x === false).length;
      const big = await Promise.all(Array.from({ length: 5 }, (_, i) => a.env(many.open[1], `BIG${i}`, 'y'.repeat(30_000), true)));
      expect(big).to.deep.equal([true, true, false, false, false]);
      await floodEnv(a, many.open, 300, 30_000);
      expect(a.isClosed(), 'a client with access keeps its connection').to.equal(false);
      a.end();
      await a.closed;
    });
    expectUnharmed(r);
    expect(refusedSessions).to.equal(10);
    expect([envAccepted, envRefused]).to.deep.equal([64, 36]);
    expect(forwardsRefused).to.be.at.least(150);
    expect(limitLines(portal, 'sessions') - before.sessions, 'one log line per connection').to.equal(1);
    expect(limitLines(portal, 'env') - before.env).to.equal(1);
    expect(limitLines(portal, '"pending requests"') - before.pending).to.equal(1);
  });

  // A healthcheck connection gets one session in its life (and is closed soon after).
  for (const path of [{ name: 'admin shell (own login)', login: 'mallory', key: true, sessions: 10 }, { name: 'healthcheck', login: 'healthcheck', key: false, sessions: 1 }]) {
    it(`${path.name}: channel floods and open-close loops are bounded, portal unharmed`, async () => {
      let firstOpen = 0;
      let loops = 0;
      let later: Channel | Error = new Error('not tried');
      const r = await underAttack(portal, async () => {
        const a = await connectChannelAttacker(portal.port, path.login, path.key ? malloryKey : null);
        const many = await openMany(a, 2_000);
        firstOpen = many.open.length;
        await floodEnv(a, many.open, 300, 30_000);
        for (const ch of many.open) ch.close();
        loops = await openCloseLoop(a, 3_000, 8);
        later = await a.openSession();
        a.end();
        await a.closed;
      });
      expectUnharmed(r);
      expect(firstOpen).to.equal(path.sessions);
      // A client that closed its unstarted sessions gets its slots back (the portal answered each CLOSE).
      if (loops > 0) {
        expect(loops).to.equal(3_000);
        expect(later).to.not.be.instanceOf(Error);
      }
    });
  }

  it('the portal still serves everyone afterwards', async () => {
    const hc = await portal.ssh([], { login: 'healthcheck', key: null });
    expect(hc.stdout).to.equal('OK\n');
    const relayed = await portal.ssh(['echo', 'fine'], { login: 'web01' });
    expect([relayed.code, relayed.stdout]).to.deep.equal([0, 'fine\n']);
  });
});
