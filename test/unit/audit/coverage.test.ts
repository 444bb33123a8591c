import { expect } from 'chai';
import { checkpointDue, CheckpointCoverage } from '../../../lib/audit/coverage.js';
import type { EventRowData } from '../../../lib/audit/events.js';
import { formatProblem } from '../../../lib/audit/problem.js';
import { chainOf, closeArgs, plainChain } from './rows.js';

function coverage(events: readonly EventRowData[], signed: readonly number[], upTo: number, every = 100): string | null {
  const c = new CheckpointCoverage(new Set(signed), upTo, every);
  for (const e of events) c.push(e);
  return c.problem === null ? null : formatProblem(c.problem);
}

describe('audit: checkpoints the chain must hold', () => {
  describe('checkpointDue', () => {
    const cases: { seq: number; domain: string; action: string; expected: string | null }[] = [
      { seq: 100, domain: 'host', action: 'update', expected: 'interval' },
      { seq: 200, domain: 'session', action: 'close', expected: 'interval' },
      { seq: 57, domain: 'session', action: 'close', expected: 'close' },
      { seq: 57, domain: 'session', action: 'lost', expected: null },
      { seq: 99, domain: 'host', action: 'update', expected: null },
      { seq: 101, domain: 'close', action: 'session', expected: null },
    ];
    for (const c of cases) {
      it(`#${c.seq} ${c.domain} ${c.action}: ${String(c.expected)}`, () => {
        expect(checkpointDue(c, 100)).to.equal(c.expected);
      });
    }
  });

  describe('CheckpointCoverage', () => {
    const events = plainChain(250);
    const cases: { name: string; signed: number[]; upTo: number; n?: number; expected: string | null }[] = [
      { name: '250 events signed at #100 and #200', signed: [100, 200], upTo: 250, expected: null },
      { name: 'the checkpoint at #200 deleted', signed: [100], upTo: 250,
        expected: 'event 2000 deleted: its checkpoint (#200) is missing: every event whose number is a multiple of 100 is signed as it is written' },
      { name: 'every checkpoint deleted', signed: [], upTo: 250,
        expected: 'event 1000 deleted: its checkpoint (#100) is missing: every event whose number is a multiple of 100 is signed as it is written' },
      { name: 'the checkpoint at #200 deleted, only #100 kept past a signed close at #150', signed: [100, 150], upTo: 250,
        expected: 'event 2000 deleted: its checkpoint (#200) is missing: every event whose number is a multiple of 100 is signed as it is written' },
      { name: '#200 appended after the newest sequence number was read (its checkpoint may be unread)', signed: [100], upTo: 199, expected: null },
      { name: 'a chain shorter than one interval, unsigned', signed: [], upTo: 99, n: 99, expected: null },
    ];
    for (const c of cases) {
      it(`${c.expected === null ? 'accepts' : 'names'} ${c.name}`, () => {
        expect(coverage(events.slice(0, c.n ?? events.length), c.signed, c.upTo)).to.equal(c.expected);
      });
    }

    it('names a session close whose checkpoint is missing, and accepts it signed', () => {
      const chain = chainOf([{}, {}, { domain: 'session', action: 'close', args: closeArgs(7, 3, 'a'.repeat(64)) }, {}]);
      expect(coverage(chain, [], 4)).to.equal('event 30 deleted: its checkpoint (#3) is missing: every session close is signed as it is written');
      expect(coverage(chain, [3], 4)).to.equal(null);
    });

    it('leaves rows the chain cannot hold to the chain check', () => {
      const [e] = plainChain(1);
      expect(coverage([{ ...e, seq: 0 }, { ...e, seq: 100, hash: null }], [], 250)).to.equal(null);
    });
  });
});
