import { expect } from 'chai';
import { isRecordingMode, parseRecordingMode } from '../../lib/recording-mode.js';

describe('recording mode', () => {
  const cases: { text: string; want: string | RegExp }[] = [
    { text: 'everything', want: 'everything' },
    { text: 'input', want: 'input' },
    { text: 'disabled', want: 'disabled' },
    { text: 'all', want: /invalid logging mode 'all': expected everything, input or disabled/ },
    { text: '', want: /invalid logging mode ''/ },
    { text: 'Everything', want: /invalid logging mode 'Everything'/ },
    { text: 'everything ', want: /invalid logging mode/ },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.text)} → ${String(c.want)}`, () => {
      if (typeof c.want === 'string') {
        expect(parseRecordingMode(c.text)).to.equal(c.want);
        expect(isRecordingMode(c.text)).to.equal(true);
      } else {
        expect(() => parseRecordingMode(c.text)).to.throw(c.want);
        expect(isRecordingMode(c.text)).to.equal(false);
      }
    });
  }
});
