import { expect } from 'chai';
import { displayWidth, padDisplay } from '../../../lib/shell/render/width.js';

describe('shell: display width', () => {
  const cases: [string, number][] = [
    ['', 0], ['abc', 3], ['é', 1], ['e\u0301', 1], ['日本', 4], ['ｆ', 2], ['한', 2], ['🙂', 2],
    ['a\u200bb', 2], ['\u0007', 0], ['x\ufe0f', 1], ['𠀀', 2], ['Zoë – ok', 8],
  ];
  for (const [text, width] of cases) it(`${JSON.stringify(text)} is ${width} columns`, () => expect(displayWidth(text)).to.equal(width));

  it('pads to display columns', () => {
    expect(padDisplay('日本', 6)).to.equal('日本  ');
    expect(padDisplay('toolong', 3)).to.equal('toolong');
  });

  it('is linear: 4 MB of mixed text in well under a second', () => {
    const text = 'é日a\u0301'.repeat(1 << 20);
    const start = performance.now();
    expect(displayWidth(text)).to.equal(4 << 20);
    expect(performance.now() - start).to.be.below(1000);
  });
});
