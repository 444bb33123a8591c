import { expect } from 'chai';
import { ellipsize, humanizeDuration, humanizeTime } from '../../../lib/shell/render/humanize.js';

describe('shell: humanized dates', () => {
  const now = new Date('2024-06-01T12:00:00Z');
  const s = 1000;
  const cases: { ago: number; text: string }[] = [
    { ago: 0, text: 'now' },
    { ago: 999, text: 'now' },
    { ago: 1 * s, text: '1 second ago' },
    { ago: 59 * s, text: '59 seconds ago' },
    { ago: 60 * s, text: '1 minute ago' },
    { ago: 5 * 60 * s + 10 * s, text: '5 minutes ago' },
    { ago: 3600 * s, text: '1 hour ago' },
    { ago: 23 * 3600 * s, text: '23 hours ago' },
    { ago: 86400 * s, text: '1 day ago' },
    { ago: 6 * 86400 * s, text: '6 days ago' },
    { ago: 7 * 86400 * s, text: '1 week ago' },
    { ago: 29 * 86400 * s, text: '4 weeks ago' },
    { ago: 30 * 86400 * s, text: '1 month ago' },
    { ago: 364 * 86400 * s, text: '12 months ago' },
    { ago: 365 * 86400 * s, text: '1 year ago' },
    { ago: 3 * 365 * 86400 * s, text: '3 years ago' },
    { ago: -2 * 3600 * s, text: '2 hours from now' },
  ];
  for (const c of cases) {
    it(`${c.ago} ms ago is '${c.text}'`, () => expect(humanizeTime(new Date(now.getTime() - c.ago), now)).to.equal(c.text));
  }
  it('shows no date as empty', () => expect(humanizeTime(null, now)).to.equal(''));
  it('spans without direction', () => expect(humanizeDuration(90 * s)).to.equal('1 minute'));

  const cuts: [string, number, string][] = [['short', 30, 'short'], ['x'.repeat(30), 30, 'x'.repeat(30)], ['x'.repeat(31), 30, `${'x'.repeat(27)}...`]];
  for (const [text, max, want] of cuts) it(`ellipsizes ${text.length} chars to ${max}`, () => expect(ellipsize(text, max)).to.equal(want));
});
