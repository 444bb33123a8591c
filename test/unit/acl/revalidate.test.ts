import { expect } from 'chai';
import { POLICY_DEFAULTS } from '../../../lib/acl/policy.js';
import type { AclRow } from '../../../lib/db/queries/acls.js';
import { revalidate, type LiveSubject } from '../../../lib/acl/revalidate.js';
import type { LiveFacts, LiveHost, LiveUser } from '../../../lib/db/live-facts.js';

const now = new Date('2025-06-01T12:00:00Z');
const fp = 'SHA256:alice';

const alice: LiveUser = { id: 1, name: 'alice', email: 'a@x', groups: [{ id: 10, name: 'devs' }], roles: ['admin'] };
const web: LiveHost = { id: 5, name: 'web01', addr: '10.0.0.1:22', user: 'root', groups: [{ id: 20, name: 'web' }] };
const allowAcl: AclRow = { id: 1, action: 'allow', weight: 0, inception: null, expiration: null, hostPattern: '', ...POLICY_DEFAULTS, userGroupIds: [10], hostGroupIds: [20] };

function facts(extra: Partial<{ users: LiveUser[]; keys: [string, number][]; hosts: LiveHost[]; acls: AclRow[] }> = {}): LiveFacts {
  return {
    users: new Map((extra.users ?? [alice]).map((u) => [u.id, u])),
    keyOwners: new Map(extra.keys ?? [[fp, 1]]),
    hosts: new Map((extra.hosts ?? [web]).map((h) => [h.id, h])),
    acls: extra.acls ?? [allowAcl],
  };
}

const shell = (roles: string[]): LiveSubject => ({ userId: 1, fingerprint: fp, login: { kind: 'shell', roles } });
const host = (hostId: number | null): LiveSubject => ({ userId: 1, fingerprint: fp, login: { kind: 'host', hostId } });
const join = (roles: string[], hostId: number): LiveSubject => ({ userId: 1, fingerprint: fp, login: { kind: 'join', roles, hostId } });

describe('acl/revalidate: may a live connection go on', () => {
  const cases: Array<{ name: string; subject: LiveSubject; facts: LiveFacts; want: string }> = [
    { name: 'shell, nothing changed', subject: shell(['admin']), facts: facts(), want: 'keep' },
    { name: 'shell of a user with no role', subject: shell([]), facts: facts({ users: [{ ...alice, roles: [] }] }), want: 'keep' },
    { name: 'shell, a role was added', subject: shell([]), facts: facts(), want: 'keep' },
    { name: 'shell, admin role removed', subject: shell(['admin']), facts: facts({ users: [{ ...alice, roles: [] }] }), want: 'end: role admin removed' },
    { name: 'user removed', subject: shell([]), facts: facts({ users: [] }), want: 'end: user removed' },
    { name: 'key removed', subject: host(5), facts: facts({ keys: [] }), want: `end: key ${fp} removed` },
    { name: 'key now bound to another user', subject: host(5), facts: facts({ keys: [[fp, 2]] }), want: `end: key ${fp} removed` },
    { name: 'host login before its first channel', subject: host(null), facts: facts({ acls: [] }), want: 'keep' },
    { name: 'host removed', subject: host(5), facts: facts({ hosts: [] }), want: 'end: host removed' },
    { name: 'ACL still allows', subject: host(5), facts: facts(), want: 'access: allow' },
    { name: 'ACL removed', subject: host(5), facts: facts({ acls: [] }), want: 'access: deny' },
    { name: 'user left the group', subject: host(5), facts: facts({ users: [{ ...alice, groups: [] }] }), want: 'access: deny' },
    { name: 'ACL expired', subject: host(5), facts: facts({ acls: [{ ...allowAcl, expiration: new Date(now.getTime() - 1) }] }), want: 'access: deny' },
    { name: 'ACL not yet valid', subject: host(5), facts: facts({ acls: [{ ...allowAcl, inception: new Date(now.getTime() + 1) }] }), want: 'access: deny' },
    { name: 'ACL turned to deny', subject: host(5), facts: facts({ acls: [{ ...allowAcl, action: 'deny' }] }), want: 'access: deny' },
    { name: 'join, nothing changed', subject: join(['admin'], 5), facts: facts(), want: 'access: allow' },
    { name: 'join, admin role removed', subject: join(['admin'], 5), facts: facts({ users: [{ ...alice, roles: [] }] }), want: 'end: role admin removed' },
    { name: 'join, role removed and ACL removed: the role decides', subject: join(['admin'], 5), facts: facts({ users: [{ ...alice, roles: [] }], acls: [] }), want: 'end: role admin removed' },
    { name: 'join, ACL removed', subject: join(['admin'], 5), facts: facts({ acls: [] }), want: 'access: deny' },
    { name: 'join, joiner left the group', subject: join(['admin'], 5), facts: facts({ users: [{ ...alice, groups: [] }] }), want: 'access: deny' },
    { name: 'join, ACL expired', subject: join(['admin'], 5), facts: facts({ acls: [{ ...allowAcl, expiration: new Date(now.getTime() - 1) }] }), want: 'access: deny' },
    { name: "join, the session's host removed", subject: join(['admin'], 5), facts: facts({ hosts: [] }), want: 'end: host removed' },
    { name: 'join, user removed', subject: join(['admin'], 5), facts: facts({ users: [] }), want: 'end: user removed' },
    { name: 'join, key removed', subject: join(['admin'], 5), facts: facts({ keys: [] }), want: `end: key ${fp} removed` },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = revalidate(c.subject, c.facts, now);
      const got = r.action === 'end' ? `end: ${r.reason}` : r.action === 'access' ? `access: ${r.byAcl.action}` : r.action;
      expect(got).to.equal(c.want);
    });
  }

  it('re-checks a join against its host exactly as a relayed session to that host', () => {
    for (const f of [facts(), facts({ acls: [] }), facts({ users: [{ ...alice, groups: [] }] })]) {
      expect(revalidate(join(['admin'], 5), f, now)).to.deep.equal(revalidate(host(5), f, now));
    }
  });

  it('hands the hook the same request shape as the login check', () => {
    const r = revalidate(host(5), facts(), now);
    expect(r.action).to.equal('access');
    if (r.action !== 'access') return;
    expect(r.request.user).to.deep.equal({ id: 1, name: 'alice', email: 'a@x', groups: [{ id: 10, name: 'devs' }] });
    expect(r.request.host).to.deep.equal(web);
    expect(r.request.now).to.equal(now);
  });
});
