import { expect } from 'chai';
import { checkHeads, formatHead, parseHead, type KeptHead } from '../../../lib/audit/heads.js';
import { formatProblem } from '../../../lib/audit/problem.js';

const h = (c: string): string => c.repeat(64);

describe('audit: chain heads kept outside the portal', () => {
  describe('parseHead', () => {
    const cases: { text: string; expected: KeptHead | null }[] = [
      { text: `42:${h('a')}`, expected: { seq: 42, hash: h('a') } },
      { text: `#42:${h('a')}`, expected: { seq: 42, hash: h('a') } },
      { text: `  7:${h('B')}\n`, expected: { seq: 7, hash: h('b') } },
      { text: `0:${h('a')}`, expected: null },
      { text: `-1:${h('a')}`, expected: null },
      { text: `42:${h('a').slice(1)}`, expected: null },
      { text: `42:${h('g')}`, expected: null },
      { text: `42 ${h('a')}`, expected: null },
      { text: `1234567890123456:${h('a')}`, expected: null },
      { text: '', expected: null },
      { text: `42:${h('a')}:extra`, expected: null },
    ];
    for (const c of cases) {
      it(`${JSON.stringify(c.text.slice(0, 24))}…: ${c.expected === null ? 'refused' : `#${c.expected.seq}`}`, () => {
        expect(parseHead(c.text)).to.deep.equal(c.expected);
      });
    }
    it('reads back what formatHead prints', () => {
      expect(parseHead(formatHead({ seq: 18234, hash: h('c') }))).to.deep.equal({ seq: 18234, hash: h('c') });
    });
  });

  describe('checkHeads', () => {
    const chain = new Map([[5, { id: 105, hash: h('5') }], [9, { id: 109, hash: h('9') }]]);
    const cases: { name: string; heads: KeptHead[]; lastSeq: number; expected: string | null }[] = [
      { name: 'no head kept', heads: [], lastSeq: 12, expected: null },
      { name: 'the chain holds the head', heads: [{ seq: 9, hash: h('9') }], lastSeq: 12, expected: null },
      { name: 'the head is the newest event', heads: [{ seq: 9, hash: h('9') }], lastSeq: 9, expected: null },
      { name: 'the tail was deleted past the head', heads: [{ seq: 14, hash: h('e') }], lastSeq: 12,
        expected: 'head 14 deleted: the chain ends at #12, before this head kept outside the portal: the events after #12 were deleted' },
      { name: 'the head is missing inside the chain', heads: [{ seq: 7, hash: h('7') }], lastSeq: 12,
        expected: 'head 7 deleted: event #7, kept outside the portal, is missing from the chain' },
      { name: 'the chain up to the head was rewritten', heads: [{ seq: 5, hash: h('f') }], lastSeq: 12,
        expected: 'event 105 edited: the chain up to it was rewritten: the head kept outside the portal (#5) has a different hash' },
      { name: 'the oldest broken head is named first', heads: [{ seq: 14, hash: h('e') }, { seq: 5, hash: h('f') }], lastSeq: 12,
        expected: 'event 105 edited: the chain up to it was rewritten: the head kept outside the portal (#5) has a different hash' },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.expected === null ? 'fine' : 'named'}`, () => {
        const p = checkHeads(c.heads, chain, c.lastSeq);
        expect(p === null ? null : formatProblem(p)).to.equal(c.expected);
      });
    }
  });
});
