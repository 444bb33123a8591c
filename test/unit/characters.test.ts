import { expect } from 'chai';
import { characterCount } from '../../lib/characters.js';

describe('characters as a VARCHAR counts them (code points)', () => {
  const cases: { text: string; count: number }[] = [
    { text: '', count: 0 },
    { text: 'abc', count: 3 },
    { text: 'é', count: 1 },
    { text: 'e\u0301', count: 2 },
    { text: '😀', count: 1 },
    { text: '😀'.repeat(255), count: 255 },
    { text: 'a\ud800b', count: 3 },
  ];
  for (const c of cases) it(`${JSON.stringify(c.text).slice(0, 30)}: ${c.count}`, () => expect(characterCount(c.text)).to.equal(c.count));
});
