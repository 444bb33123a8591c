import { expect } from 'chai';
import { nextGeneration } from '../../../../lib/db/backup/generation.js';

describe('db/backup: the restore generation', () => {
  const cases: [current: string, next: string][] = [
    ['0', '1'],
    ['1', '2'],
    ['41', '42'],
    ['007', '8'],
    ['999999999999999', '1000000000000000'],
    // Not written by a portal: starts again, and still differs.
    ['9999999999999999', '1'],
    ['', '1'],
    ['x', '1'],
    ['-5', '1'],
    ['1.5', '1'],
  ];
  for (const [current, next] of cases) {
    it(`after ${JSON.stringify(current)} comes ${next}`, () => {
      expect(nextGeneration(current)).to.equal(next);
      expect(nextGeneration(current)).not.to.equal(current);
    });
  }
});
