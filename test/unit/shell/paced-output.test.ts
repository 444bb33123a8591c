import { expect } from 'chai';
import { writePaced } from '../../../lib/shell/paced-output.js';
import type { OutputWait } from '../../../lib/shell/drain.js';

/** A session output recording each write; `taken` answers outputTaken (a promise the test settles, or at once). */
function output(taken: () => Promise<OutputWait> = () => Promise.resolve('drained')) {
  const writes: string[] = [];
  return { writes, ctx: { out: (text: string): void => { writes.push(text); }, outputTaken: taken } };
}

/** `n` pieces of `size` characters, counting how many were produced. */
function pieces(n: number, size: number): { made: { count: number }; gen: Generator<string> } {
  const made = { count: 0 };
  function* gen(): Generator<string> {
    for (let i = 0; i < n; i++) {
      made.count++;
      yield String(i % 10).repeat(size);
    }
  }
  return { made, gen: gen() };
}

describe('shell: paced output (a large output in writes the client takes one by one)', () => {
  it('writes every piece in order, gathered into writes of 64 KiB but the last', async () => {
    const o = output();
    const p = pieces(1_000, 1_000);
    expect(await writePaced(o.ctx, p.gen)).to.equal('drained');
    expect(o.writes.join('')).to.equal(Array.from({ length: 1_000 }, (_, i) => String(i % 10).repeat(1_000)).join(''));
    expect(o.writes.slice(0, -1).every((w) => w.length >= 64 * 1024 && w.length < 64 * 1024 + 1_000)).to.equal(true);
    expect(o.writes).to.have.length(Math.ceil(1_000_000 / (66 * 1_000)));
  });

  it('writes nothing for no pieces, and a short output in one write', async () => {
    const none = output();
    await writePaced(none.ctx, []);
    expect(none.writes).to.deep.equal([]);
    const short = output();
    await writePaced(short.ctx, ['{', '"a":1', '}\n']);
    expect(short.writes).to.deep.equal(['{"a":1}\n']);
  });

  it('produces no further piece until the client took the last write', async () => {
    let release: (w: OutputWait) => void = () => undefined;
    const o = output(() => new Promise((resolve) => { release = resolve; }));
    const p = pieces(200, 1_000);
    const done = writePaced(o.ctx, p.gen);
    await new Promise((r) => setImmediate(r));
    expect(o.writes).to.have.length(1);
    expect(p.made.count).to.equal(66);
    release('drained');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(o.writes).to.have.length(2);
    expect(p.made.count).to.equal(132);
    release('drained');
    for (let i = 0; i < 10; i++) { release('drained'); await new Promise((r) => setImmediate(r)); }
    expect(await done).to.equal('drained');
    expect(p.made.count).to.equal(200);
  });

  it("stops when the client is gone: the rest is never produced", async () => {
    const o = output(() => Promise.resolve('gone'));
    const p = pieces(1_000, 1_000);
    expect(await writePaced(o.ctx, p.gen)).to.equal('gone');
    expect(o.writes).to.have.length(1);
    expect(p.made.count).to.equal(66);
  });

  it("stops at 'stalled' when the client took nothing within least.ms: the rest is never produced", async () => {
    const o = output(() => new Promise(() => undefined));
    const p = pieces(1_000, 1_000);
    const start = performance.now();
    expect(await writePaced(o.ctx, p.gen, { ms: 50, chars: 1 })).to.equal('stalled');
    expect(performance.now() - start).to.be.at.least(45);
    expect(o.writes).to.have.length(1);
    expect(p.made.count).to.equal(66);
  });

  it("stops at 'stalled' a client that takes a write now and then, less than least.chars within least.ms", async () => {
    // One 64 KiB write taken every 30 ms: ~130 KB in 100 ms, where 1 MB is asked for.
    const o = output(() => new Promise((resolve) => setTimeout(() => resolve('drained'), 30)));
    const start = performance.now();
    expect(await writePaced(o.ctx, pieces(2_000, 1_000).gen, { ms: 100, chars: 1_000_000 })).to.equal('stalled');
    expect(performance.now() - start).to.be.within(95, 2_000);
    expect(o.writes.length).to.be.within(1, 6);
  });

  it('never stalls a client that takes least.chars within each least.ms, however long the whole takes', async () => {
    // Two 64 KiB writes (the least asked for) every ~60 ms, asked within 100: 2 MB takes ~1 s.
    const o = output(() => new Promise((resolve) => setTimeout(() => resolve('drained'), 30)));
    expect(await writePaced(o.ctx, pieces(2_000, 1_000).gen, { ms: 100, chars: 2 * 64 * 1024 })).to.equal('drained');
    expect(o.writes.join('')).to.have.length(2_000_000);
    const unbounded = output(() => new Promise((resolve) => setTimeout(() => resolve('drained'), 30)));
    expect(await writePaced(unbounded.ctx, pieces(200, 1_000).gen)).to.equal('drained');
  });

  it('lets the event loop run between writes', async () => {
    // Another connection's work, queued as the loop's next turn again and again: it runs only if the writer yields.
    let turns = 0;
    let running = true;
    const other = (): void => { turns++; if (running) setImmediate(other); };
    setImmediate(other);
    const o = output();
    await writePaced(o.ctx, pieces(2_000, 1_000).gen);
    running = false;
    expect(o.writes).to.have.length(31);
    expect(turns).to.be.at.least(30);
  });
});
