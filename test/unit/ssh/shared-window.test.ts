import { expect } from 'chai';
import type { ClientChannel } from 'ssh2';
import { applySharedWindow } from '../../../lib/ssh/shared-window.js';
import { withSsh2Pair } from '../../support/ssh2-pair.js';

const MiB = 1024 * 1024;

/** Resolves when `w` called back for `data`, or after `ms` (a write waiting for window that never comes). */
function writtenWithin(w: { write(data: Buffer, cb: () => void): unknown }, data: Buffer, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    // A write still waiting when its test ends (nobody reads) must not hold the run.
    t.unref();
    w.write(data, () => { clearTimeout(t); resolve(true); });
  });
}

/**
 * A hostile target (a real ssh2 server) and the portal's side (a real ssh2
 * client), which runs `onChannel` on its exec channel. The target sends 1 MiB
 * to stderr and then one byte to stdout, 40 times, as long as its writes go out.
 */
function withHostileTarget(onChannel: (ch: ClientChannel) => Promise<void>): Promise<void> {
  return withSsh2Pair({
    serve(ch) {
      void (async () => {
        for (let i = 0; i < 40; i++) {
          if (!(await writtenWithin(ch.stderr, Buffer.alloc(MiB, 0x45), 10_000))) return;
          if (!(await writtenWithin(ch, Buffer.from('o'), 10_000))) return;
        }
      })();
    },
  }, onChannel);
}

describe('ssh/shared-window: a channel\'s stdout and stderr share its window', function () {
  this.timeout(20_000);
  before(() => { expect(applySharedWindow()).to.equal(true); });

  it('a target flooding stderr between single stdout bytes, nothing read: the client holds at most both buffers and one window (it held all 40 MiB)', async () => {
    await withHostileTarget(async (ch) => {
      // Nobody reads: both streams stay paused, as the relay's are while the user does not read.
      await new Promise((r) => setTimeout(r, 3_000));
      const held = (ch.readableLength + ch.stderr.readableLength) / MiB;
      expect(held, 'MiB held by the paused channel').to.be.at.most(6.5);
    });
  });

  it('the same, read once the target stopped: every byte arrives, in order per stream', async () => {
    await withHostileTarget(async (ch) => {
      await new Promise((r) => setTimeout(r, 1_000));
      let out = '';
      let errBytes = 0;
      let stray = 0;
      ch.on('data', (d: Buffer) => { out += d.toString('latin1'); });
      ch.stderr.on('data', (d: Buffer) => { errBytes += d.length; stray += d.filter((b) => b !== 0x45).length; });
      await new Promise((r) => setTimeout(r, 4_000));
      expect({ out: out.length, err: errBytes / MiB, stray, onlyO: /^o*$/.test(out) }).to.deep.equal({ out: 40, err: 40, stray: 0, onlyO: true });
    });
  });
});

/** The target's side writing raw packets, as a hostile sshd may (ssh2's own streams refuse to after EOF). */
interface RawServerChannel { outgoing: { id: number }; _client: { _protocol: { channelData(id: number, d: Buffer): void; channelExtData(id: number, d: Buffer, type: number): void } } }

describe('ssh/shared-window: data a peer sends after its EOF', function () {
  this.timeout(20_000);
  before(() => { expect(applySharedWindow()).to.equal(true); });

  for (const stream of ['stdout', 'stderr'] as const) {
    it(`is dropped on ${stream}, with no error event (one such packet ended the portal)`, async () => {
      const errors: unknown[] = [];
      const onUncaught = (err: unknown): void => { errors.push(err); };
      process.on('uncaughtException', onUncaught);
      try {
        await withSsh2Pair({
          serve(ch) {
            ch.eof();
            const raw = ch as unknown as RawServerChannel;
            const data = Buffer.from('after EOF');
            if (stream === 'stdout') raw._client._protocol.channelData(raw.outgoing.id, data);
            else raw._client._protocol.channelExtData(raw.outgoing.id, data, 1);
          },
        }, async (ch) => {
          // As the relay's target channels: stdout has an 'error' listener, stderr none.
          ch.on('error', (e: Error) => errors.push(e));
          let got = '';
          ch.on('data', (d: Buffer) => { got += d.toString(); });
          ch.stderr.on('data', (d: Buffer) => { got += d.toString(); });
          await new Promise((r) => setTimeout(r, 500));
          expect(got).to.equal('');
        });
      } finally {
        process.off('uncaughtException', onUncaught);
      }
      expect(errors.map(String)).to.deep.equal([]);
    });
  }
});
