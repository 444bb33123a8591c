import { expect } from 'chai';
import { deadHolders, formatAddress, isAlive, lostMessage, nextReapCursor, nodeAddress, orphanSessions, splitAddress } from '../../../lib/cluster/liveness.js';
import type { ListenAddress } from '../../../lib/config/bind-address.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (s: number): Date => new Date(t0.getTime() + s * 1000);

describe('cluster: liveness', () => {
  const alive: { beat: number; now: number; want: boolean }[] = [
    { beat: 0, now: 0, want: true },
    { beat: 0, now: 29.999, want: true },
    { beat: 0, now: 30, want: false },
    { beat: 10, now: 5, want: true },
  ];
  for (const c of alive) it(`beat at ${c.beat}s is ${c.want ? 'alive' : 'dead'} at ${c.now}s`, () => expect(isAlive(at(c.beat), at(c.now), 30_000)).to.equal(c.want));

  const beats = new Map([['a', at(100)], ['b', at(60)], ['self', at(0)]]);
  const dead: { holders: string[]; want: string[] }[] = [
    { holders: [], want: [] },
    { holders: ['a'], want: [] },
    { holders: ['a', 'b'], want: ['b'] },
    // No row at all: a node that never registered (older version, crashed before the table) is dead.
    { holders: ['ghost', 'a'], want: ['ghost'] },
    // Never itself, even when its own row looks stale.
    { holders: ['self', 'b'], want: ['b'] },
  ];
  for (const c of dead) it(`dead among [${c.holders.join(', ')}]: [${c.want.join(', ')}]`, () => expect(deadHolders(c.holders, beats, 'self', at(100), 30_000)).to.deep.equal(c.want));

  it('lost message names the node', () => expect(lostMessage('node-b')).to.equal('node node-b lost'));

  const started = at(100);
  const rows = [
    { id: 1, createdAt: at(10) }, // before this run started: a previous run's row
    { id: 2, createdAt: at(150) }, // this run, live
    { id: 3, createdAt: at(150) }, // this run, not live, old enough
    { id: 4, createdAt: at(195) }, // this run, not live, too young: its relay may be registering
  ];
  it('orphans: rows no live relay holds, from before the start or older than the grace', () => {
    expect(orphanSessions(rows, new Set([2]), started, at(200), 30_000).map((r) => r.id)).to.deep.equal([1, 3]);
    expect(orphanSessions(rows, new Set([1, 2, 3, 4]), started, at(200), 30_000)).to.deep.equal([]);
  });

  const cursors: { ids: number[]; batch: number; want: number; why: string }[] = [
    { ids: [], batch: 3, want: 0, why: 'nothing read: start over' },
    { ids: [4, 9], batch: 3, want: 0, why: 'a short pass reached the end: start over' },
    { ids: [4, 9, 12], batch: 3, want: 12, why: 'a full pass: go on past the last row read' },
  ];
  for (const c of cursors) it(`next reaper pass after [${c.ids.join(', ')}] (batch ${c.batch}): ${c.why}`, () => expect(nextReapCursor(c.ids, c.batch)).to.equal(c.want));
});

describe('cluster: node addresses', () => {
  const cases: { explicit: ListenAddress | null; listen: ListenAddress; port: number; want: string }[] = [
    { explicit: null, listen: { host: '10.0.0.5', port: 2222 }, port: 2222, want: '10.0.0.5:2222' },
    { explicit: null, listen: { host: '127.0.0.1', port: 0 }, port: 40123, want: '127.0.0.1:40123' },
    { explicit: null, listen: { host: undefined, port: 2222 }, port: 2222, want: '127.0.0.1:2222' },
    { explicit: null, listen: { host: '0.0.0.0', port: 2222 }, port: 2222, want: '127.0.0.1:2222' },
    { explicit: null, listen: { host: '::', port: 2222 }, port: 2222, want: '[::1]:2222' },
    { explicit: null, listen: { host: 'fd00::5', port: 2222 }, port: 2222, want: '[fd00::5]:2222' },
    { explicit: { host: 'portal1', port: 2222 }, listen: { host: undefined, port: 2222 }, port: 2222, want: 'portal1:2222' },
  ];
  for (const c of cases) it(`${JSON.stringify(c.explicit)} / ${JSON.stringify(c.listen)} → ${c.want}`, () => expect(nodeAddress(c.explicit, c.listen, c.port)).to.equal(c.want));

  const split: [string, { host: string; port: number } | null][] = [
    ['10.0.0.5:2222', { host: '10.0.0.5', port: 2222 }],
    ['[fd00::5]:2222', { host: 'fd00::5', port: 2222 }],
    ['portal1:22', { host: 'portal1', port: 22 }],
    ['portal1', null],
    ['fd00::5:22', null],
    ['host:0', null],
    ['host:70000', null],
    ['', null],
  ];
  for (const [text, want] of split) it(`splitAddress('${text}')`, () => expect(splitAddress(text)).to.deep.equal(want));
  it('formatAddress brackets IPv6 only', () => {
    expect(formatAddress('::1', 22)).to.equal('[::1]:22');
    expect(formatAddress('a.b', 22)).to.equal('a.b:22');
  });
});
