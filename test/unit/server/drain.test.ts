import { expect } from 'chai';
import { drainNotice, LiveConnections } from '../../../lib/server/drain.js';

describe('server: drainNotice', () => {
  const cases: [number, string][] = [
    [30_000, 'portal restarting in 30 s'],
    [1_500, 'portal restarting in 2 s'],
    [0, 'portal restarting in 0 s'],
    [-5, 'portal restarting in 0 s'],
  ];
  for (const [ms, want] of cases) it(`${ms} ms → '${want}'`, () => expect(drainNotice(ms)).to.equal(want));
});

describe('server: LiveConnections', () => {
  it('tells every live connection once, and resolves when the last one left', async () => {
    const live = new LiveConnections();
    const told: string[] = [];
    const removeA = live.add({ notify: (l) => told.push(`a:${l}`) });
    const removeB = live.add({ notify: (l) => told.push(`b:${l}`) });
    expect(live.draining).to.equal(false);
    live.startDraining('bye');
    live.startDraining('again');
    expect(live.draining).to.equal(true);
    expect(told).to.deep.equal(['a:bye', 'b:bye']);
    let empty = false;
    const waiting = live.whenEmpty().then(() => { empty = true; });
    removeA();
    await Promise.resolve();
    expect(empty).to.equal(false);
    removeB();
    await waiting;
    expect([empty, live.size]).to.deep.equal([true, 0]);
  });

  it('is empty at once with nobody connected', async () => {
    await new LiveConnections().whenEmpty();
  });
});
