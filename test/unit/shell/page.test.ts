import { expect } from 'chai';
import { parsePage, type PageFlags } from '../../../lib/shell/parse/page.js';

describe('shell: --limit, --offset, --before', () => {
  const ok: { flags: Partial<PageFlags>; page: { limit: number; offset: number; before: number | null } }[] = [
    { flags: {}, page: { limit: 100, offset: 0, before: null } },
    { flags: { latest: true }, page: { limit: 1, offset: 0, before: null } },
    { flags: { latest: true, limit: '50' }, page: { limit: 1, offset: 0, before: null } },
    { flags: { limit: '1' }, page: { limit: 1, offset: 0, before: null } },
    { flags: { limit: ' 10000 ' }, page: { limit: 10_000, offset: 0, before: null } },
    { flags: { offset: '0' }, page: { limit: 100, offset: 0, before: null } },
    { flags: { offset: '100000', limit: '7' }, page: { limit: 7, offset: 100_000, before: null } },
    { flags: { before: '42' }, page: { limit: 100, offset: 0, before: 42 } },
    { flags: { before: '9007199254740991', offset: '3' }, page: { limit: 100, offset: 3, before: 9_007_199_254_740_991 } },
  ];
  for (const c of ok) {
    it(`${JSON.stringify(c.flags)} → ${JSON.stringify(c.page)}`, () => {
      expect(parsePage({ latest: false, ...c.flags })).to.deep.equal(c.page);
    });
  }

  const bad: { flags: Partial<PageFlags>; error: RegExp }[] = [
    { flags: { limit: '0' }, error: /^invalid --limit '0': expected a number of rows from 1 to 10000$/ },
    { flags: { limit: '10001' }, error: /^invalid --limit '10001'/ },
    { flags: { limit: '-1' }, error: /^invalid --limit '-1'/ },
    { flags: { limit: '1e3' }, error: /^invalid --limit '1e3'/ },
    { flags: { limit: '' }, error: /^invalid --limit ''/ },
    { flags: { limit: '9'.repeat(40) }, error: /^invalid --limit/ },
    { flags: { offset: '100001' }, error: /^invalid --offset '100001': expected a number of rows \(deeper: --before ID\) from 0 to 100000$/ },
    { flags: { offset: '0x10' }, error: /^invalid --offset/ },
    { flags: { before: '0' }, error: /^invalid --before '0': expected an id from 1 to 9007199254740991$/ },
    { flags: { before: '9007199254740992' }, error: /^invalid --before/ },
    { flags: { before: 'web' }, error: /^invalid --before 'web'/ },
  ];
  for (const c of bad) {
    it(`${JSON.stringify(c.flags)} → error`, () => {
      expect(() => parsePage({ latest: false, ...c.flags })).to.throw(c.error);
    });
  }
});
