import { expect } from 'chai';
import { Readable, Writable } from 'node:stream';
import { exportCast, replayCast } from '../../../lib/live/replay.js';

/**
 * A channel that takes `capacity` bytes, then never drains (a client that
 * stopped reading), as ssh2's does; like ssh2's, it never emits 'close' by
 * itself (ssh2 emits it once, when the peer closes the channel).
 */
function stuckChannel(capacity: number): Writable & { taken: number } {
  const w = new Writable({
    highWaterMark: capacity,
    emitClose: false,
    write(chunk: Buffer, _e, cb) {
      w.taken += chunk.length;
      if (w.taken <= capacity) cb();
      // Past its window, ssh2 keeps the callback until a window adjust that never comes.
    },
  }) as Writable & { taken: number };
  w.taken = 0;
  return w;
}

/** A file of `chunks` chunks of `size` bytes, each after a turn of the event loop; `read` counts the chunks handed out. */
function slowFile(chunks: number, size: number): Readable & { handed: number } {
  let i = 0;
  const r = new Readable({
    read() {
      setImmediate(() => {
        if (i++ < chunks) { r.handed++; this.push(Buffer.alloc(size, 0x61)); } else this.push(null);
      });
    },
  }) as Readable & { handed: number };
  r.handed = 0;
  return r;
}

/** Whether `p` settles within `ms`. */
async function settles(p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(() => { done = true; }, () => { done = true; });
  await new Promise((r) => setTimeout(r, ms));
  return done;
}

describe('live: export and replay let go of the recording when the channel goes', () => {
  const cases: { name: string; goneAfterMs: number; gone(out: Writable): void }[] = [
    // ssh2 ends the channel at its close and emits 'close' then, whatever the export is doing.
    { name: 'closed (ended, then close) between two chunks', goneAfterMs: 0, gone: (out) => { out.end(); out.emit('close'); } },
    { name: 'closed while a write waits for drain', goneAfterMs: 20, gone: (out) => { out.end(); out.emit('close'); } },
    { name: 'ended only (the close comes later, or never)', goneAfterMs: 0, gone: (out) => { out.end(); } },
    { name: 'destroyed', goneAfterMs: 0, gone: (out) => { out.destroy(); } },
    // The whole connection died: ssh2 emits the channel's one 'close' without ending it.
    { name: "closed with its connection (a 'close', not ended) between two chunks", goneAfterMs: 0, gone: (out) => { out.emit('close'); } },
    { name: "closed with its connection (a 'close', not ended) while a write waits for drain", goneAfterMs: 20, gone: (out) => { out.emit('close'); } },
  ];
  for (const c of cases) {
    it(`export: a channel ${c.name}: done, the file closed, not read to its end`, async () => {
      const out = stuckChannel(c.goneAfterMs === 0 ? 1 << 20 : 1024);
      out.on('error', () => undefined);
      const src = slowFile(1000, 4096);
      const p = exportCast(src, out);
      setTimeout(() => c.gone(out), c.goneAfterMs);
      expect(await settles(p, 300)).to.equal(true);
      expect(src.destroyed).to.equal(true);
      expect(src.handed).to.be.below(1000);
    });
  }

  it('replay: a channel ended between two lines stops the replay and closes the file', async () => {
    const out = stuckChannel(1 << 20);
    out.on('error', () => undefined);
    const line = (t: number): string => `[${t}, "o", "x"]\n`;
    const text = `{"version": 2, "width": 80, "height": 24}\n${Array.from({ length: 1000 }, (_, i) => line(i / 1000)).join('')}`;
    const src = Readable.from([Buffer.from(text)]);
    const p = replayCast(src, out, null, { speed: 1, idleLimit: null });
    setTimeout(() => out.end(), 5);
    expect(await settles(p, 1_000)).to.equal(true);
    expect(src.destroyed).to.equal(true);
  });
});
