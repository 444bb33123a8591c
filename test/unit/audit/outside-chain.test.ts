import { expect } from 'chai';
import { checkChain, outsideChain, type EventRowData } from '../../../lib/audit/events.js';
import { formatProblem } from '../../../lib/audit/problem.js';
import { chainHead, ChainHeadError } from '../../../lib/db/chain/head.js';
import { genesisHash } from '../../../lib/db/chain/encoding.js';
import { ConflictError } from '../../../lib/errors.js';
import { plainChain } from './rows.js';

const [first] = plainChain(1);

describe('audit: rows with a sequence number the chain cannot hold', () => {
  describe('outsideChain', () => {
    const cases: { name: string; row: Partial<EventRowData>; expected: string | null }[] = [
      { name: 'a legacy row (no seq)', row: { seq: null, hash: null, prevHash: null }, expected: null },
      { name: 'a chain row', row: {}, expected: null },
      { name: 'seq 0', row: { seq: 0 }, expected: 'its sequence number #0 is outside the chain, which starts at #1' },
      { name: 'a negative seq', row: { seq: -4 }, expected: 'its sequence number #-4 is outside the chain, which starts at #1' },
      { name: 'a null hash', row: { hash: null }, expected: 'it has a sequence number (#1) but no hash' },
      { name: 'a null previous hash', row: { prevHash: null }, expected: 'it has a sequence number (#1) but no previous hash' },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.expected ?? 'in or beside the chain'}`, () => {
        expect(outsideChain({ ...first, ...c.row })).to.equal(c.expected);
      });
    }
  });

  describe('the chain check walks every row with a sequence number', () => {
    const cases: { name: string; change(e: EventRowData[]): EventRowData[]; expected: string | null }[] = [
      { name: 'a row at seq 0 (with a copied hash)', change: (e) => [...e, { ...first, id: 99, seq: 0 }],
        expected: 'event 99 inserted: its sequence number #0 is outside the chain, which starts at #1' },
      { name: 'a row at a negative seq', change: (e) => [{ ...first, id: 98, seq: -7, hash: null, prevHash: null }, ...e],
        expected: 'event 98 inserted: its sequence number #-7 is outside the chain, which starts at #1' },
      { name: 'a row past the head without a hash', change: (e) => [...e, { ...first, id: 97, seq: 5, hash: null }],
        expected: 'event 97 inserted: it has a sequence number (#5) but no hash' },
      { name: 'a row past the head without a previous hash', change: (e) => [...e, { ...first, id: 96, seq: 5, prevHash: null }],
        expected: 'event 96 inserted: it has a sequence number (#5) but no previous hash' },
      { name: 'a chain row whose hash was cleared', change: (e) => e.map((x) => (x.seq === 2 ? { ...x, hash: null } : x)),
        expected: 'event 20 inserted: it has a sequence number (#2) but no hash' },
    ];
    for (const c of cases) {
      it(`names ${c.name}`, () => {
        const p = checkChain(c.change(plainChain(4)));
        expect(p === null ? null : formatProblem(p)).to.equal(c.expected);
      });
    }
  });
});

describe('chain: the head an append links to', () => {
  const cases: { name: string; row: { id?: number; seq: number | null; hash: string | null } | undefined; head?: { seq: number; hash: string }; error?: RegExp }[] = [
    { name: 'an empty chain', row: undefined, head: { seq: 0, hash: genesisHash } },
    { name: 'a chain row', row: { id: 3, seq: 12, hash: 'ab' }, head: { seq: 12, hash: 'ab' } },
    { name: 'a newest row without a hash', row: { id: 3, seq: 13, hash: null }, error: /newest event 3 \(#13\) has no hash: .*outside the portal/ },
    { name: 'a newest row at seq 0', row: { id: 4, seq: 0, hash: 'ab' }, error: /newest event 4 \(#0\) has a sequence number outside the chain/ },
    { name: 'a newest row at a negative seq', row: { seq: -2, hash: 'ab' }, error: /newest event #-2 has a sequence number outside the chain/ },
  ];
  for (const c of cases) {
    it(`${c.error ? 'refuses' : 'links to'} ${c.name}`, () => {
      if (c.head) {
        expect(chainHead(c.row)).to.deep.equal(c.head);
        return;
      }
      expect(() => chainHead(c.row)).to.throw(ChainHeadError, c.error);
      expect(() => chainHead(c.row)).to.throw(ConflictError);
    });
  }
});
