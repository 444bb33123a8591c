import { expect } from 'chai';
import { once } from 'node:events';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { OVERFLOW_FACTOR } from '../../../lib/proxy/dial-chain.js';
import { defaultOutputLimits } from '../../../lib/server/backpressure.js';
import { connectAttacker, peakRssGrowthMiB } from '../../support/attack-client.js';
import { adminInfoMs, startPortal, type Portal } from '../../support/portal.js';
import { waitFor } from '../../support/wait.js';

/** ssh2 internals the hostile target drives directly. */
interface RawServerSide {
  _protocol: { ping(): void };
  _sock: { pause(): void; destroy(): void; writableLength: number; destroyed: boolean; remotePort?: number; once(e: 'drain' | 'close', f: () => void): void };
}

/** Whether this process holds a TCP socket whose local port is `port` (Linux: /proc/net/tcp and our fds). */
function holdsLocalPort(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length > 9 && fields[1].endsWith(hex) && fields[9] !== '0') inodes.add(fields[9]);
  }
  return readdirSync('/proc/self/fd').some((fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      return m !== null && inodes.has(m[1]);
    } catch {
      return false;
    }
  });
}

/** What the target's flood achieved. */
interface Flood { sent: number; stalled: boolean }

/**
 * Sends `keepalive@openssh.com` with want-reply as fast as the portal takes
 * them, never reading a reply, until the portal stops taking them for 2 s or
 * `budgetMs` passed. It respects its own socket's backpressure: its buffers
 * live in this same process.
 */
async function floodPings(side: RawServerSide, budgetMs: number): Promise<Flood> {
  const sock = side._sock;
  const until = Date.now() + budgetMs;
  let sent = 0;
  while (Date.now() < until && !sock.destroyed) {
    if (sock.writableLength > 512 * 1024) {
      const drained = await Promise.race([
        new Promise<boolean>((r) => { sock.once('drain', () => r(true)); sock.once('close', () => r(false)); }),
        new Promise<boolean>((r) => setTimeout(() => r(false), 2_000)),
      ]);
      if (!drained) return { sent, stalled: !sock.destroyed };
      continue;
    }
    for (let i = 0; i < 500; i++) side._protocol.ping();
    sent += 500;
    await new Promise((r) => setImmediate(r));
  }
  return { sent, stalled: false };
}

/**
 * A hostile target (or a user who controls one) that stops reading its socket
 * and floods want-reply keepalives: every one is answered by the portal's
 * ssh2 client into the socket towards it. Before the fix nothing bounded that
 * buffer (only client sockets were guarded), and the portal's own keepalive
 * never timed out, every request counting as traffic.
 */
describe('security: a target that floods requests and never reads cannot grow the portal', function () {
  this.timeout(defaultOutputLimits.stuckMs + 90_000);
  let portal: Portal;
  let target: ssh2.Server;
  const sides: RawServerSide[] = [];
  let execs = 0;
  let shells = 0;
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3', logLevel: 'info' });
    target = new ssh2.Server({ hostKeys: [generateKeyPair('ed25519', 256).privateKey] }, (client) => {
      client.on('error', () => undefined);
      sides.push(client as unknown as RawServerSide);
      client.on('authentication', (ctx) => ctx.accept());
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec) => {
          const ch = acceptExec();
          ch.on('error', () => undefined);
          ch.write('ready\n');
          execs++;
        });
        session.on('pty', (ok) => ok?.());
        session.on('shell', (acceptShell) => {
          acceptShell().on('error', () => undefined);
          // Deaf from the shell on, and silent: nothing comes from it for the portal to look at.
          (client as unknown as RawServerSide)._sock.pause();
          shells++;
        });
      });
    });
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    const r = await portal.ssh(['host', 'create', '--name=flooder', `x@127.0.0.1:${(target.address() as AddressInfo).port}`]);
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => {
    await portal?.close();
    for (const side of sides) side._sock.destroy();
    target?.close();
  });

  it(`RSS within +64 MiB, admin answered within 2 s, the upstream dropped after ${defaultOutputLimits.stuckMs / 1000} s and the user told`, async () => {
    const user = portal.ssh(['sleep 600'], { login: 'flooder', timeoutMs: defaultOutputLimits.stuckMs + 60_000 });
    await waitFor(() => execs === 1, 20_000, 'the session to reach the target');
    const side = sides[0];
    const portalPort = side._sock.remotePort;
    if (portalPort === undefined) throw new Error('no portal port');
    side._sock.pause();
    let flood: Flood = { sent: 0, stalled: false };
    let adminMs = Infinity;
    const started = Date.now();
    const growth = await peakRssGrowthMiB(async () => {
      const flooding = floodPings(side, 20_000).then((f) => { flood = f; });
      await new Promise((r) => setTimeout(r, 3_000));
      adminMs = await adminInfoMs(portal);
      await flooding;
      // The portal holds what it buffered (nothing is freed while the target is paused): measured a while longer.
      await new Promise((r) => setTimeout(r, 2_000));
    });
    console.log(`      flood: ${flood.sent} requests, stalled: ${String(flood.stalled)}; peak RSS growth ${growth.toFixed(1)} MiB; admin info ${adminMs} ms`);
    expect(flood.stalled, 'the portal stopped reading from the target').to.equal(true);
    expect(portal.logs.some((l) => l.includes('upstream is not reading: input paused'))).to.equal(true);
    expect(adminMs).to.be.below(2_000);
    expect(growth).to.be.below(64);

    // Stuck: the portal drops it, and the user learns why.
    const r = await user;
    const droppedAfter = Date.now() - started;
    console.log(`      upstream dropped after ${(droppedAfter / 1000).toFixed(1)} s; user saw: ${r.stderr.trim()}`);
    expect(r.code).to.equal(255);
    expect(r.stderr).to.include("connection to 'flooder' dropped: it stopped reading");
    expect(droppedAfter).to.be.below(defaultOutputLimits.stuckMs + 15_000);
    expect(portal.logs.some((l) => l.includes('dropping an upstream connection that stopped reading'))).to.equal(true);
    await waitFor(() => !holdsLocalPort(portalPort), 5_000, 'the portal to let go of its socket to the target');
    expect(await adminInfoMs(portal)).to.be.below(2_000);
  });

  it(`a user flooding window-changes into it: dropped once ${OVERFLOW_FACTOR * defaultOutputLimits.highWaterBytes / (1024 * 1024)} MiB wait for it; RSS within +100 MiB; admin answered`, async () => {
    const user = await connectAttacker(portal.port, 'flooder', readFileSync(portal.adminKey, 'utf8'));
    try {
      const ch = await new Promise<ssh2.ClientChannel>((resolve, reject) => {
        user.client.shell({ rows: 24, cols: 80, term: 'xterm' }, (err, c) => (err ? reject(err) : resolve(c)));
      });
      let told = '';
      ch.stderr.on('data', (d: Buffer) => { told += d.toString(); });
      ch.on('data', () => undefined);
      await waitFor(() => shells === 1, 20_000, 'the shell to reach the target');
      let sent = 0;
      let adminMs = Infinity;
      const started = Date.now();
      const growth = await peakRssGrowthMiB(async () => {
        // As fast as the portal takes them (the user's own buffer, in this process, stays small).
        while (!told.includes('dropped') && Date.now() - started < 20_000) {
          if (user.sock.writableLength > 256 * 1024) {
            await Promise.race([once(user.sock, 'drain'), new Promise((r) => setTimeout(r, 200))]);
            continue;
          }
          for (let i = 0; i < 200; i++) ch.setWindow(24 + (sent++ % 10), 80, 0, 0);
          await new Promise((r) => setImmediate(r));
        }
        adminMs = await adminInfoMs(portal);
      });
      const droppedAfter = Date.now() - started;
      console.log(`      ${sent} window-changes; dropped after ${droppedAfter} ms; peak RSS growth ${growth.toFixed(1)} MiB; user saw: ${told.trim()}`);
      expect(told).to.match(/connection to 'flooder' dropped: it stopped reading \(\d+ MiB waiting for it\)/);
      expect(droppedAfter).to.be.below(10_000);
      expect(growth).to.be.below(100);
      expect(adminMs).to.be.below(2_000);
    } finally {
      user.sock.destroy();
    }
  });
});
