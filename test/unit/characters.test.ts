import { expect } from 'chai';
import { characterCount } from '../../lib/characters.js';

describe('characters as a VARCHAR counts them (code points)', () => {
  const cases: { name: string; text: string; count: number }[] = [
    { name: 'nothing', text: '', count: 0 },
    { name: 'ASCII', text: 'abc', count: 3 },
    { name: 'a precomposed é', text: 'é', count: 1 },
    { name: 'e and a combining accent', text: 'e\u0301', count: 2 },
    { name: 'an emoji (a surrogate pair)', text: '😀', count: 1 },
    { name: '255 emoji', text: '😀'.repeat(255), count: 255 },
    { name: 'a lone surrogate', text: 'a\ud800b', count: 3 },
  ];
  for (const c of cases) it(`${c.name}: ${c.count}`, () => expect(characterCount(c.text)).to.equal(c.count));
});
