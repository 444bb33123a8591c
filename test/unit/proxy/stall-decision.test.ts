import { expect } from 'chai';
import { chooseCuts, type StallLimits, type StallView } from '../../../lib/proxy/stall-decision.js';

const MiB = 1024 * 1024;
const limits: StallLimits = { perUserBytes: 10 * MiB, perNodeBytes: 25 * MiB, minStallMs: 10_000, graceMs: 5_000, sweepMs: 1_000 };

/** A stalled owner: user, MiB held, seconds stalled before `now`, seconds since its cut (if cut). */
function view(user: string, mib: number, stalledS: number, cutS?: number): StallView {
  return { user, held: mib * MiB, since: 100_000 - stalledS * 1000, cutAt: cutS === undefined ? undefined : 100_000 - cutS * 1000 };
}

describe('proxy/stall-decision', () => {
  it('chooseCuts: cuts the longest-stalled channels of a user over budget, then of the heaviest users over the node budget', () => {
    const cases: { name: string; views: StallView[]; cut: number[]; drop: number[] }[] = [
      { name: 'under every budget: nothing', views: [view('a', 3, 60), view('a', 3, 60), view('b', 3, 60)], cut: [], drop: [] },
      { name: 'a user over budget loses its oldest channels until under it', views: [view('a', 3, 20), view('a', 3, 60), view('a', 3, 40), view('a', 3, 30)], cut: [1], drop: [] },
      { name: 'channels stalled less than minStallMs are never cut', views: [view('a', 6, 5), view('a', 6, 9)], cut: [], drop: [] },
      { name: 'only the old enough ones go, even when that leaves the user over', views: [view('a', 6, 5), view('a', 6, 30), view('a', 6, 9)], cut: [1], drop: [] },
      { name: 'equal waits: the largest first', views: [view('a', 4, 30), view('a', 8, 30)], cut: [1], drop: [] },
      { name: 'another user under its budget is left alone', views: [view('a', 6, 30), view('a', 6, 40), view('b', 9, 90)], cut: [1], drop: [] },
      {
        name: 'over the node budget: the user holding the most in old stalls loses its longest-stalled one',
        views: [view('a', 9, 30), view('b', 5, 90), view('b', 4, 80), view('c', 8, 30), view('d', 2, 99)],
        // 28 MiB stalled long enough on the node: a and b hold 9 each, b's channel waited longer; 23 left, under 25.
        cut: [1], drop: [],
      },
      {
        name: 'over the node budget by more: users take turns by what they hold',
        views: [view('a', 9, 30), view('b', 5, 90), view('b', 5, 80), view('c', 9, 30), view('d', 3, 99)],
        // 31 MiB: b (10) first, 26 left; then a and c (9 each, a listed first), 17 left.
        cut: [1, 0], drop: [],
      },
      {
        name: 'fresh stalls never make another user\'s channels go: the node budget counts old stalls only',
        views: [...Array.from({ length: 9 }, () => view('attacker', 3, 9)), view('victim', 1, 60), view('victim2', 0.25, 60)],
        cut: [], drop: [],
      },
      { name: 'a channel holding nothing is not cut', views: [view('a', 0, 60), view('a', 11, 5)], cut: [], drop: [] },
      { name: 'a cut channel still open after the grace ends its connection', views: [view('a', 6, 60, 6), view('a', 1, 60, 2)], cut: [], drop: [0] },
      { name: 'a cut channel being closed no longer counts, and is not cut twice', views: [view('a', 9, 60, 1), view('a', 2, 30)], cut: [], drop: [] },
      { name: 'nothing stalled', views: [], cut: [], drop: [] },
    ];
    for (const c of cases) {
      expect(chooseCuts(c.views, 100_000, limits), c.name).to.deep.equal({ cut: c.cut, drop: c.drop });
    }
  });

});
