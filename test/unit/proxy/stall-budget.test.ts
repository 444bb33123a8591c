import { expect } from 'chai';
import { PassThrough, Writable } from 'node:stream';
import { createLogger } from '../../../lib/log.js';
import { pump, type Held } from '../../../lib/ssh/pump.js';
import { chooseCuts, StallLedger, type Cuttable, type StallLimits, type StallView } from '../../../lib/proxy/stall-budget.js';

const MiB = 1024 * 1024;
const limits: StallLimits = { perUserBytes: 10 * MiB, perNodeBytes: 25 * MiB, minStallMs: 10_000, graceMs: 5_000, sweepMs: 1_000 };

/** A stalled owner: user, MiB held, seconds stalled before `now`, seconds since its cut (if cut). */
function view(user: string, mib: number, stalledS: number, cutS?: number): StallView {
  return { user, held: mib * MiB, since: 100_000 - stalledS * 1000, cutAt: cutS === undefined ? undefined : 100_000 - cutS * 1000 };
}

describe('proxy/stall-budget', () => {
  it('chooseCuts: cuts the longest-stalled channels of a user over budget, then of the heaviest users over the node budget', () => {
    const cases: { name: string; views: StallView[]; cut: number[]; drop: number[] }[] = [
      { name: 'under every budget: nothing', views: [view('a', 3, 60), view('a', 3, 60), view('b', 3, 60)], cut: [], drop: [] },
      { name: 'a user over budget loses its oldest channels until under it', views: [view('a', 3, 20), view('a', 3, 60), view('a', 3, 40), view('a', 3, 30)], cut: [1], drop: [] },
      { name: 'channels stalled less than minStallMs are never cut', views: [view('a', 6, 5), view('a', 6, 9)], cut: [], drop: [] },
      { name: 'only the old enough ones go, even when that leaves the user over', views: [view('a', 6, 5), view('a', 6, 30), view('a', 6, 9)], cut: [1], drop: [] },
      { name: 'equal waits: the largest first', views: [view('a', 4, 30), view('a', 8, 30)], cut: [1], drop: [] },
      { name: 'another user under its budget is left alone', views: [view('a', 6, 30), view('a', 6, 40), view('b', 9, 90)], cut: [1], drop: [] },
      {
        name: 'over the node budget: the heaviest user loses its oldest channel (of equal users, the one stalled longest)',
        views: [view('a', 9, 30), view('b', 5, 90), view('b', 4, 80), view('c', 8, 30), view('d', 2, 99)],
        // 28 MiB on the node: a and b hold 9 each, b's channel waited longer; 23 left, under 25.
        cut: [1], drop: [],
      },
      {
        name: 'over the node budget by more: users take turns by what they hold',
        views: [view('a', 9, 30), view('b', 5, 90), view('b', 5, 80), view('c', 9, 30), view('d', 3, 99)],
        // 31 MiB: b (10) first, 26 left; then a and c (9 each, a listed first), 17 left.
        cut: [1, 0], drop: [],
      },
      { name: 'a cut channel still open after the grace ends its connection', views: [view('a', 6, 60, 6), view('a', 1, 60, 2)], cut: [], drop: [0] },
      { name: 'a cut channel being closed no longer counts, and is not cut twice', views: [view('a', 9, 60, 1), view('a', 2, 30)], cut: [], drop: [] },
      { name: 'nothing stalled', views: [], cut: [], drop: [] },
    ];
    for (const c of cases) {
      expect(chooseCuts(c.views, 100_000, limits), c.name).to.deep.equal({ cut: c.cut, drop: c.drop });
    }
  });

  it('the ledger sweeps only while something is stalled, cuts through the owner and ends connections that keep a cut channel', () => {
    let now = 0;
    const ledger = new StallLedger({ log: createLogger({ level: 'error' }), now: () => now, limits });
    const dropped: string[] = [];
    const a = ledger.account('user:1', (reason) => dropped.push(reason));
    const cuts: { held: number; stalledMs: number }[] = [];
    const owner: Cuttable = { cut: (held, stalledMs) => cuts.push({ held, stalledMs }) };
    const p0: Held = { heldBytes: 7 * MiB };
    const p1: Held = { heldBytes: 5 * MiB };
    a.stalled(p0, owner);
    now = 4_000;
    a.stalled(p1, owner);
    a.stalled(p1, owner);
    expect(ledger.stalledOwners).to.equal(1);
    now = 9_000;
    ledger.sweep();
    expect(cuts, 'stalled 9 s: not yet').to.deep.equal([]);
    now = 10_000;
    ledger.sweep();
    expect(cuts, 'one owner: its pumps summed, stalled since the first').to.deep.equal([{ held: 12 * MiB, stalledMs: 10_000 }]);
    now = 14_000;
    ledger.sweep();
    expect(cuts.length, 'not cut twice').to.equal(1);
    expect(dropped).to.deep.equal([]);
    now = 15_000;
    ledger.sweep();
    expect(dropped.length, 'still open 5 s after the cut: the connection goes').to.equal(1);
    expect(ledger.stalledOwners, 'a dropped connection forgets its stalls').to.equal(0);

    const b = ledger.account('user:2', (reason) => dropped.push(reason));
    b.stalled(p0, owner);
    b.moving(p0, owner);
    expect(ledger.stalledOwners, 'moving again forgets it').to.equal(0);
    b.stalled(p0, owner);
    b.forget(owner);
    expect(ledger.stalledOwners, 'a closed owner is forgotten').to.equal(0);
    b.close();
    b.stalled(p0, owner);
    expect(ledger.stalledOwners, 'a closed account takes nothing').to.equal(0);
    ledger.close();
  });

  it('a pump reports itself stalled while its destination is full and moving once it drained, with what it holds', async () => {
    const src = new PassThrough();
    let release: (() => void) | undefined;
    const dst = new Writable({ highWaterMark: 4, write: (_c, _e, cb) => { release = cb; } });
    const seen: string[] = [];
    let held = 0;
    pump(src, dst, undefined, undefined, {
      stalled: (p) => { seen.push('stalled'); held = p.heldBytes; },
      moving: () => seen.push('moving'),
    });
    src.write(Buffer.from('12345678'));
    await new Promise((r) => setImmediate(r));
    expect(seen).to.deep.equal(['stalled']);
    expect(held, 'the chunk waiting in dst').to.equal(8);
    release?.();
    await new Promise((r) => setImmediate(r));
    expect(seen).to.deep.equal(['stalled', 'moving']);
  });
});
