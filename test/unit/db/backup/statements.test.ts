import { expect } from 'chai';
import { STATEMENT_ROWS, statementRows, valueBytes } from '../../../../lib/db/backup/statements.js';

describe('db/backup: how a restore cuts a table into INSERT statements', () => {
  const cases: { name: string; rows: number[]; max?: number; expected: number[] }[] = [
    { name: 'no rows, no statement', rows: [], expected: [] },
    { name: 'one light row', rows: [10], expected: [1] },
    { name: '200 light rows: one statement', rows: Array<number>(200).fill(10), expected: [200] },
    { name: '201 light rows: 200 and 1', rows: Array<number>(201).fill(10), expected: [200, 1] },
    { name: '455 light rows: 200, 200, then powers of two (32, 16, 4, 2, 1)', rows: Array<number>(455).fill(10), expected: [200, 200, 32, 16, 4, 2, 1] },
    { name: 'heavy rows: as many as the bound holds, a power of two', rows: Array<number>(10).fill(30), max: 100, expected: [2, 2, 2, 2, 2] },
    { name: 'a row heavier than the bound goes alone', rows: [10, 500, 10, 10], max: 100, expected: [1, 1, 2] },
    { name: 'the bound counts exactly', rows: [50, 50, 1], max: 100, expected: [2, 1] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = statementRows(c.rows, c.max);
      expect(got).to.deep.equal(c.expected);
      expect(got.reduce((a, b) => a + b, 0)).to.equal(c.rows.length);
    });
  }

  it('uses at most nine shapes whatever the row count (SQLite keeps each statement prepared)', () => {
    const shapes = new Set<number>();
    for (let n = 0; n < 1_000; n++) for (const count of statementRows(Array<number>(n).fill(10))) shapes.add(count);
    expect([...shapes].every((s) => (STATEMENT_ROWS as readonly number[]).includes(s))).to.equal(true);
  });

  it('weighs a string as its worst case in a statement, anything else as a few bytes', () => {
    expect(valueBytes('ab')).to.equal(14);
    expect(valueBytes('é')).to.be.at.least(Buffer.byteLength('é') * 2);
    expect(valueBytes('😀')).to.be.at.least(Buffer.byteLength('😀') * 2);
    expect(valueBytes(null)).to.equal(24);
    expect(valueBytes(new Date())).to.equal(24);
  });
});
