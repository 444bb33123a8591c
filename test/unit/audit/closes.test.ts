import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { closeProblem, SessionCloses } from '../../../lib/audit/closes.js';
import type { EventRowData } from '../../../lib/audit/events.js';
import { formatProblem } from '../../../lib/audit/problem.js';
import { checkRecordings } from '../../../lib/audit/recordings.js';
import { tempDir } from '../../support/tmp.js';
import { chainOf, closeArgs, type EventSpec } from './rows.js';

const sha = (c: string): string => c.repeat(64);

function closes(events: readonly EventRowData[]): SessionCloses {
  const c = new SessionCloses();
  for (const e of events) c.push(e);
  return c;
}

describe('audit: session close events', () => {
  describe('closeProblem', () => {
    const cases: { name: string; earlier: { eventId: number; seals: [] } | undefined; expected: string | null }[] = [
      { name: 'the first close of a session', earlier: undefined, expected: null },
      { name: 'a second close of a session', earlier: { eventId: 40, seals: [] }, expected: 'event 90 inserted: it closes session 7 again (event 40 closed it first)' },
    ];
    for (const c of cases) {
      it(`${c.expected === null ? 'accepts' : 'names'} ${c.name}`, () => {
        const p = closeProblem(7, 90, c.earlier);
        expect(p === null ? null : formatProblem(p)).to.equal(c.expected);
      });
    }
  });

  describe('SessionCloses over a chain', () => {
    const close = (id: number, c: string): EventSpec => ({ domain: 'session', action: 'close', args: closeArgs(id, 3, sha(c)) });
    const cases: { name: string; specs: EventSpec[]; problem: string | null; sealOf7: string | undefined }[] = [
      { name: 'sessions closed once each', specs: [{}, close(7, 'a'), close(8, 'b'), {}], problem: null, sealOf7: sha('a') },
      { name: 'a second close for session 7 appended at the tail', specs: [{}, close(7, 'a'), {}, close(8, 'b'), close(7, 'f')],
        problem: 'event 50 inserted: it closes session 7 again (event 20 closed it first)', sealOf7: sha('a') },
      { name: 'a second close for session 7 with the same seals', specs: [close(7, 'a'), close(7, 'a')],
        problem: 'event 20 inserted: it closes session 7 again (event 10 closed it first)', sealOf7: sha('a') },
      { name: 'a close event without seals, then a forged one with seals', specs: [{ domain: 'session', action: 'close', args: '{"session_id":7,"seals":[]}' }, close(7, 'f')],
        problem: 'event 20 inserted: it closes session 7 again (event 10 closed it first)', sealOf7: undefined },
      { name: 'other events of the session (connect, lost)', specs: [{ domain: 'session', action: 'connect', args: '{"session_id":7}' },
        { domain: 'session', action: 'lost', args: '{"session_id":7}' }, close(7, 'a')], problem: null, sealOf7: sha('a') },
    ];
    for (const c of cases) {
      it(`${c.problem === null ? 'accepts' : 'names'} ${c.name}`, () => {
        const got = closes(chainOf(c.specs));
        expect(got.problem === null ? null : formatProblem(got.problem)).to.equal(c.problem);
        expect(got.seals.get(7)?.[0]?.sha256).to.equal(c.sealOf7);
      });
    }

    it('counts no close event the chain cannot hold (a row below #1 or without a hash)', () => {
      const [good] = chainOf([close(7, 'a')]);
      const forged = chainOf([close(7, 'f')])[0];
      const got = closes([{ ...forged, id: 5, seq: 0 }, { ...forged, id: 6, seq: 2, hash: null }, good]);
      expect(got.problem).to.equal(null);
      expect(got.seals.get(7)?.[0]?.sha256).to.equal(sha('a'));
    });
  });

  it('checks a recording against its first close event, not against a forged later one that matches the edited file', async () => {
    const dir = tempDir();
    try {
      const original = 'line 1\r\nline 2\r\n';
      const forged = 'line 1\r\nline X\r\n';
      const file = join(dir.path, 'session-7.cast');
      writeFileSync(file, forged);
      const hash = (t: string): string => createHash('sha256').update(t).digest('hex');
      const seals = (t: string): string => JSON.stringify([{ path: file, length: Buffer.byteLength(t), sha256: hash(t) }]);
      const seal = (t: string): string => `{"session_id":7,"seals":${seals(t)}}`;
      const got = closes(chainOf([{}, { domain: 'session', action: 'close', args: seal(original) }, {}, { domain: 'session', action: 'close', args: seal(forged) }]));
      expect(got.problem === null ? null : formatProblem(got.problem)).to.equal('event 40 inserted: it closes session 7 again (event 20 closed it first)');
      // The session row was rewritten to the forged seals too: it now differs from the close event that stands.
      const row = { id: 7, status: 'closed', recordings: null, seals: seals(forged) };
      const rec = await checkRecordings([row], got.seals, null);
      expect(rec.problem === null ? null : formatProblem(rec.problem)).to.equal('session 7 edited: its recording seals differ from its close event');
      const untouchedRow = { ...row, seals: seals(original) };
      const rec2 = await checkRecordings([untouchedRow], got.seals, null);
      expect(rec2.problem === null ? null : formatProblem(rec2.problem)).to.equal('session 7 edited recording: session-7.cast does not match its sealed hash');
    } finally {
      dir.remove();
    }
  });
});
