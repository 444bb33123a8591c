import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { LiveScreen, clampSize, maxScreen } from '../../../lib/live/screen.js';
import { ViewerQueue, clearScreen } from '../../../lib/live/viewer.js';
import { renderScreen } from '../../support/screen.js';

/** A sink that takes `capacity` writes before it reports backpressure, until drained. */
class Sink extends EventEmitter {
  written: string[] = [];
  #room: number;
  constructor(readonly capacity: number) { super(); this.#room = capacity; }
  write(d: Buffer | string): boolean {
    this.written.push(d.toString());
    return --this.#room > 0;
  }
  drain(): void { this.#room = this.capacity; this.emit('drain'); }
}

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('live: headless screen', () => {
  it('snapshots the screen after all output so far, full-screen programs included', async () => {
    const s = new LiveScreen({ cols: 40, rows: 10 }, { maxPendingBytes: 1 << 20, feedDelayMs: 5 });
    s.output(Buffer.from('line one\r\nline two\r\n'));
    s.output(Buffer.from('\x1b[?1049h\x1b[H\x1b[2Jfull\x1b[5;3Hscreen'));
    const lines = await renderScreen(clearScreen + await s.snapshot(), 40, 10);
    expect(lines[0]).to.equal('full');
    expect(lines[4]).to.equal('  screen');
    s.dispose();
  });

  it('keeps at most maxPendingBytes between feeds: older output is dropped and the screen reset', async () => {
    const s = new LiveScreen({ cols: 20, rows: 3 }, { maxPendingBytes: 64, feedDelayMs: 1000 });
    for (let i = 0; i < 100; i++) s.output(Buffer.from(`row ${i}\r\n`));
    expect(s.droppedBytes).to.be.greaterThan(0);
    const lines = await renderScreen(await s.snapshot(), 20, 3);
    expect(lines[1]).to.equal('row 99');
    s.dispose();
  });

  it('follows resizes', async () => {
    const s = new LiveScreen({ cols: 20, rows: 3 });
    s.resize({ cols: 30, rows: 5 });
    expect(s.size).to.deep.equal({ cols: 30, rows: 5 });
    s.dispose();
    expect(await s.snapshot()).to.equal('');
  });

  const sizes: [string, { cols: number; rows: number }, { cols: number; rows: number }][] = [
    ['an ordinary terminal', { cols: 80, rows: 24 }, { cols: 80, rows: 24 }],
    ['the largest emulated', { cols: 512, rows: 256 }, { cols: 512, rows: 256 }],
    ['a 16384 × 16384 pty-req', { cols: 16384, rows: 16384 }, { cols: 512, rows: 256 }],
    ['the largest uint32', { cols: 2 ** 32 - 1, rows: 2 ** 32 - 1 }, { cols: 512, rows: 256 }],
    ['zero', { cols: 0, rows: 0 }, { cols: 1, rows: 1 }],
    ['not a number', { cols: Number.NaN, rows: Number.POSITIVE_INFINITY }, { cols: 1, rows: 1 }],
  ];
  for (const [name, size, want] of sizes) it(`emulates ${name} at ${want.cols} × ${want.rows}`, () => expect(clampSize(size)).to.deep.equal(want));

  it('never builds a screen larger than maxScreen, at start or on a resize', async () => {
    const s = new LiveScreen({ cols: 1e6, rows: 1e6 }, { maxPendingBytes: 1 << 16, feedDelayMs: 5 });
    expect(s.size).to.deep.equal(maxScreen);
    s.resize({ cols: 1e6, rows: 3 });
    expect(s.size).to.deep.equal({ cols: maxScreen.cols, rows: 3 });
    s.output(Buffer.from('x'));
    const lines = await renderScreen(clearScreen + await s.snapshot(), maxScreen.cols, 3);
    expect(lines[0]).to.equal('x');
    s.dispose();
  });

  it('takes a flood of window changes as one resize per feed, after the output before it', async () => {
    const s = new LiveScreen({ cols: 20, rows: 3 }, { maxPendingBytes: 1 << 16, feedDelayMs: 5 });
    s.output(Buffer.from('0123456789012345678'));
    for (let i = 0; i < 10_000; i++) s.resize({ cols: 10 + (i % 50), rows: 3 + (i % 7) });
    s.resize({ cols: 10, rows: 3 });
    s.output(Buffer.from('\r\nabc'));
    // The first line was laid out 20 wide, before the resize; what follows at 10 wide.
    const lines = await renderScreen(clearScreen + await s.snapshot(), 10, 3);
    expect(lines.join('|')).to.match(/abc/);
    expect(s.size).to.deep.equal({ cols: 10, rows: 3 });
    s.dispose();
  });

  it('prints nothing for sequences the emulator cannot parse (it dumped its parser state per sequence)', async () => {
    const seen: unknown[] = [];
    const saved = { warn: console.warn, error: console.error, log: console.log, info: console.info };
    const capture = (...args: unknown[]): void => { seen.push(args); };
    Object.assign(console, { warn: capture, error: capture, log: capture, info: capture });
    try {
      const s = new LiveScreen({ cols: 80, rows: 24 }, { maxPendingBytes: 1 << 16, feedDelayMs: 5 });
      s.output(Buffer.from('\x1b[\u4e2d'.repeat(5000)));
      await s.snapshot();
      s.dispose();
    } finally {
      Object.assign(console, saved);
    }
    expect(seen).to.have.length(0);
  });
});

describe('live: viewer queue', () => {
  it('sends the prefix and snapshot first, then live output in order', async () => {
    const sink = new Sink(100);
    const q = new ViewerQueue(sink, () => Promise.resolve('SNAP'), 'PRE');
    q.push(Buffer.from('a'));
    await tick();
    q.push(Buffer.from('b'));
    expect(sink.written).to.deep.equal(['PRESNAP', 'a', 'b']);
  });

  it('a stalled viewer holds at most the bound, then gets a fresh snapshot once it drains', async () => {
    const sink = new Sink(2);
    let n = 0;
    const q = new ViewerQueue(sink, () => Promise.resolve(`SNAP${++n}`), '', 1000);
    await tick();
    for (let i = 0; i < 5000; i++) {
      q.push(Buffer.alloc(100, 0x41));
      expect(q.queuedBytes).to.be.at.most(1000);
    }
    expect(q.overflows).to.be.greaterThan(0);
    const before = sink.written.length;
    sink.drain();
    await tick();
    expect(sink.written.slice(before)[0]).to.equal(`${clearScreen}SNAP2`);
    q.push(Buffer.from('after'));
    expect(sink.written.at(-1)).to.equal('after');
    q.close();
    q.push(Buffer.from('closed'));
    expect(sink.written.at(-1)).to.equal('after');
  });
});
