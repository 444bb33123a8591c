import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { LiveScreen } from '../../../lib/live/screen.js';
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
