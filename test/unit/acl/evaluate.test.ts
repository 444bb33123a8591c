import { expect } from 'chai';
import { evaluateAcl, type AclInput, type AclQuery } from '../../../lib/acl/evaluate.js';
import { globMatch } from '../../../lib/acl/glob.js';

const now = new Date('2025-06-01T12:00:00Z');
const before = new Date('2025-01-01T00:00:00Z');
const after = new Date('2026-01-01T00:00:00Z');

function acl(id: number, action: 'allow' | 'deny', weight: number, extra: Partial<AclInput> = {}): AclInput {
  return { id, action, weight, userGroupIds: [1], hostGroupIds: [10], ...extra };
}

function q(acls: AclInput[], extra: Partial<AclQuery> = {}): AclQuery {
  return { acls, userGroupIds: [1], hostGroupIds: [10], hostName: 'web01', now, ...extra };
}

describe('acl/evaluate (sshportal rule)', () => {
  const cases: Array<{ name: string; query: AclQuery; action: 'allow' | 'deny'; aclId?: number }> = [
    { name: 'no ACL at all → deny', query: q([]), action: 'deny' },
    { name: 'one matching allow', query: q([acl(1, 'allow', 0)]), action: 'allow', aclId: 1 },
    { name: 'one matching deny', query: q([acl(1, 'deny', 0)]), action: 'deny', aclId: 1 },
    { name: 'user group does not match → deny', query: q([acl(1, 'allow', 0, { userGroupIds: [2] })]), action: 'deny' },
    { name: 'host group does not match → deny', query: q([acl(1, 'allow', 0, { hostGroupIds: [11] })]), action: 'deny' },
    { name: 'one of several groups matches', query: q([acl(1, 'allow', 0, { userGroupIds: [5, 1], hostGroupIds: [9, 10] })], { userGroupIds: [3, 1] }), action: 'allow', aclId: 1 },
    { name: 'lowest weight wins (deny lighter)', query: q([acl(1, 'allow', 10), acl(2, 'deny', 5)]), action: 'deny', aclId: 2 },
    { name: 'lowest weight wins (allow lighter)', query: q([acl(1, 'deny', 10), acl(2, 'allow', 5)]), action: 'allow', aclId: 2 },
    { name: 'negative weights sort first', query: q([acl(1, 'deny', 0), acl(2, 'allow', -1)]), action: 'allow', aclId: 2 },
    { name: 'ties broken by lowest id', query: q([acl(7, 'deny', 1), acl(3, 'allow', 1)]), action: 'allow', aclId: 3 },
    { name: 'inception in the future → ignored', query: q([acl(1, 'allow', 0, { inception: after })]), action: 'deny' },
    { name: 'inception in the past → used', query: q([acl(1, 'allow', 0, { inception: before })]), action: 'allow', aclId: 1 },
    { name: 'inception == now → used', query: q([acl(1, 'allow', 0, { inception: now })]), action: 'allow', aclId: 1 },
    { name: 'expiration in the past → ignored', query: q([acl(1, 'allow', 0, { expiration: before })]), action: 'deny' },
    { name: 'expiration == now → ignored', query: q([acl(1, 'allow', 0, { expiration: now })]), action: 'deny' },
    { name: 'inside window', query: q([acl(1, 'allow', 0, { inception: before, expiration: after })]), action: 'allow', aclId: 1 },
    { name: 'expired lighter ACL does not shadow a valid heavier one', query: q([acl(1, 'deny', 0, { expiration: before }), acl(2, 'allow', 5)]), action: 'allow', aclId: 2 },
    { name: 'empty pattern = every host', query: q([acl(1, 'allow', 0, { hostPattern: '' })]), action: 'allow', aclId: 1 },
    { name: 'pattern matching the host', query: q([acl(1, 'allow', 0, { hostPattern: 'web*' })]), action: 'allow', aclId: 1 },
    { name: 'pattern not matching the host → ignored', query: q([acl(1, 'allow', 0, { hostPattern: 'db*' })]), action: 'deny' },
    { name: 'non-matching pattern does not shadow', query: q([acl(1, 'deny', 0, { hostPattern: 'db*' }), acl(2, 'allow', 1)]), action: 'allow', aclId: 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = evaluateAcl(c.query);
      expect(d.action).to.equal(c.action);
      expect(d.aclId).to.equal(c.aclId);
      expect(d.reason).to.be.a('string').and.not.empty;
    });
  }
});

describe('acl/glob', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', 'anything', true],
    ['web*', 'web01', true],
    ['web*', 'db01', false],
    ['web??', 'web01', true],
    ['web??', 'web1', false],
    ['web[0-9]1', 'web01', true],
    ['web[!0]1', 'web01', false],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['*.prod', 'api.prod', true],
    ['(x)+', '(x)+', true],
    ['[unclosed', '[unclosed', true],
    ['Web*', 'web01', false],
  ];
  for (const [pattern, name, expected] of cases) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () => {
      expect(globMatch(pattern, name)).to.equal(expected);
    });
  }
});
