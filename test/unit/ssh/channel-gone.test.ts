import { expect } from 'chai';
import { Readable, Writable } from 'node:stream';
import { outputDrained } from '../../../lib/shell/drain.js';
import { exportCast } from '../../../lib/live/replay.js';
import { isGone, rememberClose } from '../../../lib/ssh/channel-gone.js';

/** A channel as ssh2 makes one: never emits 'close' by itself; past `capacity` bytes it never drains. */
function channel(capacity: number): Writable {
  let taken = 0;
  return new Writable({
    highWaterMark: capacity,
    emitClose: false,
    write(chunk: Buffer, _e, cb) { taken += chunk.length; if (taken <= capacity) cb(); },
  });
}

describe('ssh: a channel gone for good, whoever asks and whenever', () => {
  const cases: { name: string; gone(ch: Writable): void; expected: boolean }[] = [
    { name: 'open', gone: () => undefined, expected: false },
    { name: "closed with its connection (one 'close', not ended)", gone: (ch) => { ch.emit('close'); }, expected: true },
    { name: 'ended', gone: (ch) => { ch.on('error', () => undefined); ch.end(); }, expected: true },
    { name: 'destroyed', gone: (ch) => { ch.destroy(); }, expected: true },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.expected ? 'gone' : 'not gone'}`, () => {
      const ch = channel(1024);
      rememberClose(ch);
      c.gone(ch);
      expect(isGone(ch)).to.equal(c.expected);
    });
  }

  it("the shell's wait between commands: a channel that closed before the wait began is gone, not waited for", async () => {
    const ch = channel(16);
    rememberClose(ch);
    ch.write(Buffer.alloc(64));
    expect(ch.writableNeedDrain).to.equal(true);
    ch.emit('close');
    expect(await outputDrained([ch], new Readable({ read() { /* never */ } }))).to.equal('gone');
  });

  it('a full channel its client closes during the wait, with no event the wait hears (ssh2 ends it), is found gone within a second', async () => {
    const ch = channel(16);
    rememberClose(ch);
    ch.on('error', () => undefined);
    ch.write(Buffer.alloc(64));
    const wait = outputDrained([ch], new Readable({ read() { /* never */ } }));
    setTimeout(() => { ch.end(); }, 50);
    const start = performance.now();
    expect(await wait).to.equal('gone');
    expect(performance.now() - start).to.be.below(3_000);
  });

  it('an ended channel with room left is gone: writes to it would vanish without ever asking to drain', async () => {
    const ch = channel(1 << 20);
    ch.on('error', () => undefined);
    ch.end();
    expect(ch.writableNeedDrain).to.equal(false);
    expect(await outputDrained([ch], new Readable({ read() { /* never */ } }))).to.equal('gone');
  });

  it('an export whose full channel its client closes, with no event a writer hears (ssh2 ends it), stops within a second', async () => {
    const ch = channel(16);
    rememberClose(ch);
    ch.on('error', () => undefined);
    const src = new Readable({ read() { this.push(Buffer.alloc(64)); } });
    setTimeout(() => { ch.end(); }, 50);
    const start = performance.now();
    await exportCast(src, ch);
    expect(performance.now() - start).to.be.below(3_000);
    expect(src.destroyed).to.equal(true);
  });

  it('an export that starts after its channel closed writes nothing and lets go of the file', async () => {
    const ch = channel(1 << 20);
    rememberClose(ch);
    ch.emit('close');
    const src = Readable.from([Buffer.from('a'), Buffer.from('b')]);
    await exportCast(src, ch);
    expect(src.destroyed).to.equal(true);
    expect(ch.writableLength).to.equal(0);
  });
});
