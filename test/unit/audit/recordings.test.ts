import { expect } from 'chai';
import { checkRecordings, type SessionRowData } from '../../../lib/audit/recordings.js';
import type { RecordingSeal } from '../../../lib/recording/seal.js';

describe('audit: closed sessions without a chained close event are named', () => {
  const row = (id: number, seals: string | null, recordings: string | null, status = 'closed'): SessionRowData => ({ id, status, seals, recordings });
  const cases: { name: string; rows: SessionRowData[]; chained: [number, RecordingSeal[]][]; expected: number[] }[] = [
    { name: 'a session closed with its event', rows: [row(1, '[]', '["/r/1.cast"]')], chained: [[1, []]], expected: [] },
    { name: 'a session without recordings (none named, none sealed)', rows: [row(2, null, null), row(3, '[]', '[]')], chained: [], expected: [] },
    { name: 'its seals blanked (NULL), its recordings still named', rows: [row(4, null, '["/r/4.cast"]')], chained: [], expected: [4] },
    { name: "its seals emptied ('[]'), its recordings still named", rows: [row(5, '[]', '["/r/5.cast"]')], chained: [], expected: [5] },
    { name: 'its seals garbled', rows: [row(6, 'not json', null)], chained: [], expected: [6] },
    { name: 'a live session (not closed) is not one', rows: [row(7, null, '["/r/7.cast"]', 'active')], chained: [], expected: [] },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.expected.length > 0 ? 'named' : 'not named'}`, async () => {
      const r = await checkRecordings(c.rows, new Map(c.chained), null);
      expect([r.problem, r.unchained]).to.deep.equal([null, c.expected]);
    });
  }
});
