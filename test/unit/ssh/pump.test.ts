import { expect } from 'chai';
import { PassThrough, Writable } from 'node:stream';
import { capRelayBuffers, discard, flushed, pump, pumpReadAheadBytes, pumpWriteBufferBytes, whenEnded } from '../../../lib/ssh/pump.js';

describe('ssh/pump backpressure', () => {
  it('caps what its streams buffer (ssh2 channels: 2 MiB each way) and never raises it', () => {
    const cases = [
      { src: 2 * 1024 * 1024, dst: 2 * 1024 * 1024, readAhead: pumpReadAheadBytes, writeBuffer: pumpWriteBufferBytes },
      { src: 16, dst: 4, readAhead: 16, writeBuffer: 4 },
    ];
    for (const c of cases) {
      const src = new PassThrough({ highWaterMark: c.src });
      const dst = new Writable({ highWaterMark: c.dst, write: (_chunk, _enc, cb) => cb() });
      pump(src, dst);
      expect([src.readableHighWaterMark, dst.writableHighWaterMark]).to.deep.equal([c.readAhead, c.writeBuffer]);
    }
  });

  it('capRelayBuffers() gives a stream joined by hand the same caps, on each side it has, never raising them', () => {
    const MiB = 1024 * 1024;
    const cases = [
      { name: 'a duplex (a link channel)', make: () => new PassThrough({ readableHighWaterMark: 2 * MiB, writableHighWaterMark: 2 * MiB }), expected: [pumpReadAheadBytes, pumpWriteBufferBytes] },
      { name: 'a duplex already below', make: () => new PassThrough({ readableHighWaterMark: 16, writableHighWaterMark: 4 }), expected: [16, 4] },
    ];
    for (const c of cases) {
      const s = c.make();
      capRelayBuffers(s);
      expect([s.readableHighWaterMark, s.writableHighWaterMark], c.name).to.deep.equal(c.expected);
    }
    const w = new Writable({ highWaterMark: 2 * MiB, write: (_chunk, _enc, cb) => cb() });
    capRelayBuffers(w);
    expect(w.writableHighWaterMark, 'a writable only').to.equal(pumpWriteBufferBytes);
  });

  it('pauses the source while the destination is full and resumes on drain', async () => {
    const src = new PassThrough({ highWaterMark: 16 });
    const written: Buffer[] = [];
    let release: (() => void) | undefined;
    const dst = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _enc, cb) { written.push(chunk); release = cb; },
    });
    let seen = 0;
    pump(src, dst, (c) => { seen += c.length; });
    src.write(Buffer.from('aaaa'));
    src.write(Buffer.from('bbbb'));
    src.write(Buffer.from('cccc'));
    await new Promise((r) => setImmediate(r));
    expect(src.isPaused()).to.equal(true);
    expect(seen).to.equal(4);
    while (release) { const r = release; release = undefined; r(); await new Promise((res) => setImmediate(res)); }
    expect(Buffer.concat(written).toString()).to.equal('aaaabbbbcccc');
    expect(src.isPaused()).to.equal(false);
  });

  it('writes nothing to a destination that ended (its channel closed): no write-after-end error, the source stays paused', async () => {
    const src = new PassThrough();
    const written: Buffer[] = [];
    // No 'error' listener, as on a client channel's stderr: an error event would fail this test as uncaught.
    const dst = new Writable({ write(chunk: Buffer, _enc, cb) { written.push(chunk); cb(); } });
    pump(src, dst);
    src.write(Buffer.from('before'));
    await new Promise((r) => setImmediate(r));
    dst.end();
    src.write(Buffer.from('after'));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(written).toString()).to.equal('before');
    expect(src.isPaused()).to.equal(true);
  });

  it('pauses the source while a hold is backlogged and resumes once it is ready', async () => {
    const src = new PassThrough();
    const dst = new PassThrough();
    dst.resume();
    let ready: (() => void) | undefined;
    const hold = { backlogged: false, onceReady(cb: () => void) { ready = cb; } };
    pump(src, dst, undefined, hold);
    src.write('a');
    await new Promise((r) => setImmediate(r));
    expect(src.isPaused()).to.equal(false);
    hold.backlogged = true;
    src.write('b');
    await new Promise((r) => setImmediate(r));
    expect(src.isPaused()).to.equal(true);
    hold.backlogged = false;
    ready?.();
    expect(src.isPaused()).to.equal(false);
  });

  it('discard() drops what a stream read ahead and what follows, so that it ends; past its bound it stops reading', async () => {
    const chunk = Buffer.alloc(64 * 1024);
    // A peer that answers our close after what it had in flight: all of it dropped, the stream ends.
    const closing = new PassThrough({ highWaterMark: 256 * 1024 });
    for (let i = 0; i < 8; i++) closing.write(chunk);
    let relayed = 0;
    closing.on('data', (c: Buffer) => { relayed += c.length; });
    discard(closing, 1024 * 1024);
    closing.end();
    await new Promise<void>((resolve) => closing.once('end', () => resolve()));
    expect(relayed, 'the relay listener is gone').to.equal(0);
    // A peer that never stops: past the bound the stream is paused, and what it sends after stays unread.
    const endless = new PassThrough({ highWaterMark: 256 * 1024 });
    discard(endless, 1024 * 1024);
    let taken = 0;
    while (taken < 4 * 1024 * 1024) {
      if (!endless.write(chunk)) {
        await new Promise((r) => setImmediate(r));
        if (endless.isPaused()) break;
      }
      taken += chunk.length;
    }
    expect(endless.isPaused(), 'paused past the bound').to.equal(true);
    expect(taken, 'took about the bound').to.be.within(1024 * 1024, 2 * 1024 * 1024);
  });

  it('flushed() resolves after queued writes', async () => {
    const order: string[] = [];
    const dst = new Writable({ write(chunk: Buffer, _e, cb) { order.push(chunk.toString() || '<empty>'); setTimeout(cb, 5); } });
    dst.write('a');
    dst.write('b');
    await flushed(dst);
    expect(order).to.deep.equal(['a', 'b', '<empty>']);
  });

  describe('whenEnded()', () => {
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
    const cases: { name: string; act: (s: PassThrough) => void }[] = [
      { name: "on 'end'", act: (s) => { s.resume(); s.end(); } },
      { name: "on 'close' without 'end'", act: (s) => { s.destroy(); } },
      { name: "on 'end' then 'close'", act: (s) => { s.resume(); s.end(); s.once('end', () => s.destroy()); } },
    ];
    for (const c of cases) {
      it(`calls back once, in a microtask, ${c.name}`, async () => {
        const s = new PassThrough();
        let calls = 0;
        whenEnded(s, () => { calls++; });
        c.act(s);
        expect(calls).to.equal(0);
        await tick();
        await tick();
        expect(calls).to.equal(1);
      });
    }

    it('calls back for a stream that already ended', async () => {
      const s = new PassThrough();
      s.destroy();
      let calls = 0;
      whenEnded(s, () => { calls++; });
      expect(calls).to.equal(0);
      await tick();
      expect(calls).to.equal(1);
    });
  });
});
