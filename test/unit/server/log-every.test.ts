import { expect } from 'chai';
import { LogEvery, LogEveryPerKey } from '../../../lib/server/log-every.js';

describe('server: one log line per period for what a client can repeat', () => {
  const cases: { name: string; at: number[]; want: (number | null)[] }[] = [
    { name: 'the first passes', at: [0], want: [0] },
    { name: 'the rest of its period is held, and counted on the next line', at: [0, 1, 2, 9_999, 10_000], want: [0, null, null, null, 3] },
    { name: 'lines a period apart all pass', at: [0, 10_000, 20_000], want: [0, 0, 0] },
    { name: 'a late line after a quiet spell passes with nothing held', at: [5, 50_000], want: [0, 0] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const l = new LogEvery(10_000);
      expect(c.at.map((t) => { const r = l.take(t); return r.log ? r.held : null; })).to.deep.equal(c.want);
    });
  }

  it('per key: an address in a loop is held while another still logs', () => {
    const l = new LogEveryPerKey(10_000);
    expect(l.take('a', 0).log).to.equal(true);
    expect(l.take('a', 1).log).to.equal(false);
    expect(l.take('b', 2).log).to.equal(true);
    expect(l.take('a', 10_001)).to.deep.equal({ log: true, held: 1 });
  });

  it('per key: remembers at most maxKeys, forgetting idle ones first', () => {
    const l = new LogEveryPerKey(10_000, 100);
    for (let i = 0; i < 100; i++) l.take(`old${i}`, 0);
    l.take('new', 20_000);
    expect(l.size).to.equal(1);
    for (let i = 0; i < 1_000; i++) l.take(`k${i}`, 30_000);
    expect(l.size).to.be.at.most(100);
  });
});
