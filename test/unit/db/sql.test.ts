import { expect } from 'chai';
import { dateOf, inList, nullableNumberOf, nullableTextOf, numberOf, sqliteDateText, textOf } from '../../../lib/db/sql.js';

describe('db: plain SQL helpers', () => {
  describe('inList pads to a power of two with the last value', () => {
    const cases: [number[], string, number[]][] = [
      [[7], '?', [7]],
      [[1, 2], '?, ?', [1, 2]],
      [[1, 2, 3], '?, ?, ?, ?', [1, 2, 3, 3]],
      [[1, 2, 3, 4, 5], '?, ?, ?, ?, ?, ?, ?, ?', [1, 2, 3, 4, 5, 5, 5, 5]],
    ];
    for (const [values, marks, params] of cases) {
      it(`${JSON.stringify(values)} → ${params.length} placeholders`, () => {
        expect(inList(values)).to.deep.equal({ marks, params });
      });
    }
    it('bounds the distinct statements: 1..512 values use 10 list sizes', () => {
      expect(new Set(Array.from({ length: 512 }, (_, i) => inList(Array.from({ length: i + 1 }, (_, j) => j)).params.length)).size).to.equal(10);
    });
    it('refuses an empty list (IN () is no SQL)', () => {
      expect(() => inList([])).to.throw(RangeError);
    });
  });

  describe('dateOf reads what each driver returns', () => {
    const at = new Date('2024-01-02T03:04:05.678Z');
    const cases: [string, unknown, string | null][] = [
      ['NULL', null, null],
      ['undefined', undefined, null],
      ['a Date (MySQL)', at, '2024-01-02T03:04:05.678Z'],
      ['SQLite text with milliseconds (typeorm writes it)', '2024-01-02 03:04:05.678', '2024-01-02T03:04:05.678Z'],
      ['SQLite text without (datetime(\'now\'), CURRENT_TIMESTAMP)', '2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'],
      ['ISO text with a zone', '2024-01-02T03:04:05.678Z', '2024-01-02T03:04:05.678Z'],
      ['epoch milliseconds', at.getTime(), '2024-01-02T03:04:05.678Z'],
    ];
    for (const [name, value, iso] of cases) {
      it(name, () => expect(dateOf(value)?.toISOString() ?? null).to.equal(iso));
    }
    it('round-trips the text written for SQLite', () => {
      expect(sqliteDateText(at)).to.equal('2024-01-02 03:04:05.678');
      expect(dateOf(sqliteDateText(at))?.getTime()).to.equal(at.getTime());
    });
  });

  describe('scalar columns', () => {
    const cases: [string, () => unknown, unknown][] = [
      ['number of a number', () => numberOf(3), 3],
      ['number of a string (big integers)', () => numberOf('42'), 42],
      ['nullable number of NULL', () => nullableNumberOf(null), null],
      ['nullable number of 0', () => nullableNumberOf(0), 0],
      ['text of NULL', () => textOf(null), ''],
      ['text of a string', () => textOf('a'), 'a'],
      ['text of a number', () => textOf(5), '5'],
      ['text of a Buffer (a binary collation)', () => textOf(Buffer.from('é')), 'é'],
      ['nullable text of NULL', () => nullableTextOf(null), null],
      ['nullable text of empty', () => nullableTextOf(''), ''],
    ];
    for (const [name, run, want] of cases) it(name, () => expect(run()).to.deep.equal(want));
    it('text of an object is a driver surprise, not "[object Object]"', () => {
      expect(() => textOf({})).to.throw(TypeError);
    });
  });
});
