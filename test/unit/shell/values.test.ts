import { expect } from 'chai';
import { checkAclShape, checkPattern, formatWindowDate } from '../../../lib/shell/parse/acl-rules.js';
import { checkComment, checkEmail, checkName, parseAction, parseDateTime, parseWeight } from '../../../lib/shell/parse/values.js';

describe('shell: value parsers', () => {
  const ok: { name: string; run: () => unknown; want: unknown }[] = [
    { name: 'action allow', run: () => parseAction('allow'), want: 'allow' },
    { name: 'action deny', run: () => parseAction('deny'), want: 'deny' },
    { name: 'weight 0', run: () => parseWeight('0'), want: 0 },
    { name: 'weight 42', run: () => parseWeight('42'), want: 42 },
    { name: 'weight max', run: () => parseWeight('2147483647'), want: 2147483647 },
    { name: "sshportal's date", run: () => parseDateTime('2024-02-29 13:45').toISOString(), want: '2024-02-29T13:45:00.000Z' },
    { name: 'date with seconds', run: () => parseDateTime('2024-01-01 00:00:59').toISOString(), want: '2024-01-01T00:00:59.000Z' },
    { name: 'ISO date with zone', run: () => parseDateTime('2024-01-01T10:00:00+02:00').toISOString(), want: '2024-01-01T08:00:00.000Z' },
    { name: 'ISO date without zone (UTC)', run: () => parseDateTime('2024-01-01T10:00:00').toISOString(), want: '2024-01-01T10:00:00.000Z' },
    { name: 'ISO date Z', run: () => parseDateTime('2024-01-01T10:00Z').toISOString(), want: '2024-01-01T10:00:00.000Z' },
    { name: 'name with dots', run: () => checkName('web-01.prod_a', 'host'), want: 'web-01.prod_a' },
    { name: 'name starting with a digit', run: () => checkName('1web', 'host'), want: '1web' },
    { name: 'email', run: () => checkEmail('admin@localhost'), want: 'admin@localhost' },
    { name: 'comment', run: () => checkComment('x'.repeat(1024)), want: 'x'.repeat(1024) },
    { name: 'pattern', run: () => checkPattern('web-*'), want: 'web-*' },
    { name: 'window date', run: () => formatWindowDate(new Date('2024-05-06T07:08:09Z')), want: '2024-05-06 07:08 UTC' },
    { name: 'no window date', run: () => formatWindowDate(null), want: '' },
  ];
  for (const c of ok) it(`accepts ${c.name}`, () => expect(c.run()).to.deep.equal(c.want));

  const bad: { name: string; run: () => unknown; message: RegExp }[] = [
    { name: 'action', run: () => parseAction('permit'), message: /invalid action 'permit': expected allow or deny/ },
    { name: 'negative weight', run: () => parseWeight('-1'), message: /invalid weight '-1'/ },
    { name: 'fractional weight', run: () => parseWeight('1.5'), message: /invalid weight/ },
    { name: 'huge weight', run: () => parseWeight('2147483648'), message: /invalid weight/ },
    { name: 'word weight', run: () => parseWeight('high'), message: /invalid weight/ },
    { name: 'date format', run: () => parseDateTime('tomorrow'), message: /invalid date 'tomorrow'/ },
    { name: 'impossible date', run: () => parseDateTime('2023-02-29 10:00'), message: /invalid date/ },
    { name: 'impossible hour', run: () => parseDateTime('2023-02-01 24:00'), message: /invalid date/ },
    { name: 'ISO with fraction but no zone', run: () => parseDateTime('2024-01-01T10:00:00.5'), message: /invalid date/ },
    { name: 'digits-only name', run: () => checkName('42', 'host'), message: /invalid host name '42'/ },
    { name: 'name with a space', run: () => checkName('a b', 'key'), message: /invalid key name/ },
    { name: 'name with @', run: () => checkName('a@b', 'user'), message: /invalid user name/ },
    { name: 'empty name', run: () => checkName('', 'host group'), message: /invalid host group name/ },
    { name: 'long name', run: () => checkName('a'.repeat(256), 'host'), message: /at most 255/ },
    { name: 'email', run: () => checkEmail('bob'), message: /invalid email 'bob'/ },
    { name: 'comment', run: () => checkComment('x'.repeat(1025)), message: /at most 1024/ },
    { name: 'pattern with blank', run: () => checkPattern('a b'), message: /invalid pattern/ },
  ];
  for (const c of bad) it(`refuses ${c.name}`, () => expect(c.run).to.throw(c.message));

  const shapes: { name: string; acl: Parameters<typeof checkAclShape>[0]; message: RegExp | null }[] = [
    { name: 'groups on both sides', acl: { userGroups: 1, hostGroups: 1, hostPattern: '', inception: null, expiration: null }, message: null },
    { name: 'a pattern instead of host groups', acl: { userGroups: 1, hostGroups: 0, hostPattern: 'web-*', inception: null, expiration: null }, message: null },
    { name: 'no user group', acl: { userGroups: 0, hostGroups: 1, hostPattern: '', inception: null, expiration: null }, message: /at least one user group/ },
    { name: 'no host side', acl: { userGroups: 1, hostGroups: 0, hostPattern: '', inception: null, expiration: null }, message: /at least one host group or host pattern/ },
    { name: 'empty window', acl: { userGroups: 1, hostGroups: 1, hostPattern: '', inception: new Date(2000), expiration: new Date(1000) }, message: /inception must be before/ },
  ];
  for (const c of shapes) {
    it(`ACL shape: ${c.name}`, () => {
      if (c.message) expect(() => checkAclShape(c.acl)).to.throw(c.message);
      else expect(() => checkAclShape(c.acl)).not.to.throw();
    });
  }
});
