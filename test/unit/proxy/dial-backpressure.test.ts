import { expect } from 'chai';
import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client } from 'ssh2';
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { createLogger } from '../../../lib/log.js';
import { dropReason, hopOutputLimits, overflowing, OVERFLOW_FACTOR } from '../../../lib/proxy/dial-chain.js';
import { dialChain } from '../../../lib/proxy/dial.js';
import type { HopTarget } from '../../../lib/proxy/types.js';
import type { OutputLimits } from '../../../lib/server/backpressure.js';
import { closedWithin, waitFor } from '../../support/wait.js';

const hostKey = generateKeyPair('ed25519', 256, 'host');
const limits: OutputLimits = { highWaterBytes: 256 * 1024, stuckMs: 1_500 };

/** ssh2 internals the hostile target drives directly. */
interface RawServerSide {
  _protocol: { ping(): void };
  _sock: Socket;
}

/** An ssh2 server on 127.0.0.1:0 that accepts any login; `setup` sees each connection. */
async function server(setup: (conn: ssh2.Connection) => void): Promise<{ port: number; conns: ssh2.Connection[]; close(): void }> {
  const conns: ssh2.Connection[] = [];
  const s = new ssh2.Server({ hostKeys: [hostKey.privateKey] }, (conn) => {
    conns.push(conn);
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => ctx.accept());
    setup(conn);
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return {
    port: (s.address() as AddressInfo).port,
    conns,
    close: () => {
      for (const c of conns) (c as unknown as RawServerSide)._sock.destroy();
      s.close();
    },
  };
}

/** A hop that opens `direct-tcpip` channels to the address asked, as sshd does (piped both ways, with backpressure). */
function forwarding(conn: ssh2.Connection): void {
  conn.on('tcpip', (accept, _reject, info) => {
    const sock = connect(info.destPort, info.destIP);
    sock.on('error', () => undefined);
    sock.once('connect', () => {
      const ch = accept();
      ch.on('error', () => undefined);
      ch.pipe(sock).pipe(ch);
    });
  });
}

function hop(name: string, port: number): HopTarget {
  return { name, host: '127.0.0.1', port, username: 'u', password: 'p', verifyHostKey: () => Promise.resolve() };
}

/**
 * Stops reading, then sends want-reply keepalives as fast as the portal takes
 * them; true once the portal stopped reading them: `portalPaused` says so, or
 * they stall for 1 s. (The stall alone depends on the kernel's buffers: with a
 * 32 MiB tcp_rmem the portal's socket takes tens of MiB more after the portal
 * paused, longer than a slow machine floods before the stuck delay.)
 */
async function floodUntilStalled(side: RawServerSide, budgetMs: number, portalPaused: () => boolean): Promise<boolean> {
  const sock = side._sock;
  sock.pause();
  const until = Date.now() + budgetMs;
  while (Date.now() < until && !sock.destroyed) {
    if (portalPaused()) return true;
    if (sock.writableLength > 256 * 1024) {
      const drained = await Promise.race([once(sock, 'drain').then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 1_000))]);
      if (!drained) return !sock.destroyed;
      continue;
    }
    for (let i = 0; i < 200; i++) side._protocol.ping();
    await new Promise((r) => setImmediate(r));
  }
  return false;
}

/** The stream a dialed client writes to (its socket, or the previous hop's channel). */
function transportOf(client: Client): Duplex {
  return (client as unknown as { _sock: Duplex })._sock;
}

describe('proxy: the output towards a hop is bounded', () => {
  describe('hopOutputLimits (the bound must not be under the transport\'s own mark, or its drain never comes)', () => {
    const cases: [string, number, number][] = [
      ['a TCP socket (16 KiB): the clients\' bound', 16 * 1024, 1024 * 1024],
      ['a mark equal to the bound: the bound', 1024 * 1024, 1024 * 1024],
      ['a hop\'s channel (2 MiB): its mark', 2 * 1024 * 1024, 2 * 1024 * 1024],
    ];
    for (const [name, mark, expected] of cases) {
      it(name, () => {
        const out = hopOutputLimits({ highWaterBytes: 1024 * 1024, stuckMs: 60_000 }, mark);
        expect(out).to.deep.equal({ highWaterBytes: expected, stuckMs: 60_000 });
      });
    }
  });

  describe('dropReason (what the user and the log are told)', () => {
    const cases: [string, Parameters<typeof dropReason>[1], string, string][] = [
      ['stuck: the delay', { kind: 'stuck', afterMs: 60_000 }, "connection to 'web01' dropped: it stopped reading (nothing read for 60 s)", 'dropping an upstream connection that stopped reading'],
      ['overflow: what waits', { kind: 'overflow', pendingBytes: 17 * 1024 * 1024 }, "connection to 'web01' dropped: it stopped reading (17 MiB waiting for it)", 'dropping an upstream connection that stopped reading: too much output waiting'],
    ];
    for (const [name, cause, message, log] of cases) {
      it(name, () => expect(dropReason('web01', cause)).to.deep.equal({ message, log }));
    }
  });

  describe(`overflowing (more than ${OVERFLOW_FACTOR} × the bound waits)`, () => {
    const bound: OutputLimits = { highWaterBytes: 1024 * 1024, stuckMs: 60_000 };
    const cap = OVERFLOW_FACTOR * 1024 * 1024;
    const cases: [number, boolean][] = [[0, false], [1024 * 1024 + 1, false], [cap, false], [cap + 1, true]];
    for (const [pending, expected] of cases) {
      it(`${pending} bytes: ${String(expected)}`, () => expect(overflowing(pending, bound)).to.equal(expected));
    }
  });

  const chains: { name: string; hops: number }[] = [
    { name: 'a target dialed directly', hops: 1 },
    { name: 'a target behind a hop (its channel is the transport)', hops: 2 },
  ];
  for (const c of chains) {
    it(`${c.name}: stops reading from it, then drops the chain once stuck, with the reason`, async function () {
      this.timeout(30_000);
      const lines: string[] = [];
      const log = createLogger({ level: 'info', sink: (l) => lines.push(l) });
      let ready: RawServerSide | undefined;
      const target = await server((conn) => conn.on('ready', () => { ready = conn as unknown as RawServerSide; }));
      const first = c.hops === 2 ? await server(forwarding) : undefined;
      const hops = first ? [hop('jump', first.port), hop('evil', target.port)] : [hop('evil', target.port)];
      const chain = await dialChain(hops, { log, output: limits });
      try {
        await waitFor(() => ready !== undefined, 5_000, 'the target to see the login');
        const side = ready as RawServerSide;
        const transport = transportOf(chain.client);
        const bound = hopOutputLimits(limits, transport.writableHighWaterMark).highWaterBytes;
        let peak = 0;
        const sampler = setInterval(() => { peak = Math.max(peak, transport.writableLength); }, 10);
        const stalledAt = floodUntilStalled(side, 20_000, () => transport.isPaused()).then((stalled) => ({ stalled, at: Date.now() }));
        const closes = chain.clients.map((cl) => closedWithin(cl, 20_000));
        const flood = await stalledAt;
        clearInterval(sampler);
        expect(flood.stalled, 'the portal stopped reading from the target').to.equal(true);
        expect(lines.some((l) => l.includes('upstream is not reading: input paused'))).to.equal(true);
        // One burst of requests past the bound is answered before the check: never more.
        expect(peak).to.be.below(bound + 512 * 1024);
        const closedMs = await Promise.all(closes);
        for (const ms of closedMs) expect(ms, 'every client of the chain closed').to.not.equal(null);
        expect(chain.lostReason()).to.equal(dropReason('evil', { kind: 'stuck', afterMs: limits.stuckMs }).message);
        expect(lines.some((l) => l.includes('dropping an upstream connection that stopped reading'))).to.equal(true);
      } finally {
        chain.close();
        target.close();
        first?.close();
      }
    });
  }

  it('requests relayed into a target that never reads (a user\'s window-change flood): dropped once over the cap, well before the delay', async function () {
    this.timeout(20_000);
    const slow: OutputLimits = { highWaterBytes: 256 * 1024, stuckMs: 60_000 };
    let side: RawServerSide | undefined;
    const target = await server((conn) => conn.on('session', (accept) => {
      const session = accept();
      session.on('pty', (ok) => ok?.());
      session.on('exec', (ok) => {
        ok().on('error', () => undefined);
        // Deaf from the command on: it never reads what the portal sends.
        side = conn as unknown as RawServerSide;
        side._sock.pause();
      });
    }));
    const chain = await dialChain([hop('deaf', target.port)], { log: createLogger({ sink: () => undefined }), output: slow });
    try {
      const ch = await new Promise<ssh2.ClientChannel>((resolve, reject) => {
        chain.client.exec('x', { pty: { rows: 24, cols: 80 } }, (err, c) => (err ? reject(err) : resolve(c)));
      });
      await waitFor(() => side !== undefined, 5_000, 'the command to reach the target');
      const transport = transportOf(chain.client);
      const cap = slow.highWaterBytes * OVERFLOW_FACTOR;
      const closed = closedWithin(chain.client, 10_000);
      let peak = 0;
      let sent = 0;
      const t0 = Date.now();
      while (!transport.destroyed && Date.now() - t0 < 10_000) {
        for (let i = 0; i < 500; i++) ch.setWindow(24 + (sent++ % 10), 80, 0, 0);
        peak = Math.max(peak, transport.writableLength);
        await new Promise((r) => setImmediate(r));
      }
      expect(await closed, 'the chain was dropped').to.not.equal(null);
      expect(Date.now() - t0).to.be.below(5_000);
      // The sweep runs every 250 ms: what this loop writes meanwhile, at most.
      expect(peak).to.be.below(cap + 32 * 1024 * 1024);
      expect(chain.lostReason()).to.match(/^connection to 'deaf' dropped: it stopped reading \(\d+ MiB waiting for it\)$/);
    } finally {
      chain.close();
      target.close();
    }
  });

  it('a target that reads again before the delay is resumed, not dropped', async function () {
    this.timeout(20_000);
    let ready: RawServerSide | undefined;
    const target = await server((conn) => conn.on('ready', () => { ready = conn as unknown as RawServerSide; }));
    const chain = await dialChain([hop('slow', target.port)], { log: createLogger({ sink: () => undefined }), output: limits });
    try {
      await waitFor(() => ready !== undefined, 5_000, 'the target to see the login');
      const side = ready as RawServerSide;
      const socket = transportOf(chain.client);
      expect(await floodUntilStalled(side, 10_000, () => socket.isPaused())).to.equal(true);
      expect(socket.isPaused()).to.equal(true);
      side._sock.resume();
      await waitFor(() => !socket.isPaused(), 5_000, 'reading resumed');
      await new Promise((r) => setTimeout(r, limits.stuckMs + 500));
      expect(chain.lostReason()).to.equal(undefined);
      expect(socket.destroyed).to.equal(false);
    } finally {
      chain.close();
      target.close();
    }
  });
});
