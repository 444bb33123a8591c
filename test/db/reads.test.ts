/**
 * The login path's plain-SQL reads and writes (lib/db/reads, the session row)
 * give what typeorm gives for the same rows, on both drivers: the same
 * entities with the same relations and dates, the same ACL rows.
 */
import { expect } from 'chai';
import { In } from 'typeorm';
import { Acl, Host, HostGroup, Session, SshKey, User, UserGroup, UserKey, UserRole } from '../../lib/db/entities/index.js';
import { findUserByKey } from '../../lib/db/identity.js';
import { loadLiveFacts } from '../../lib/db/live-facts.js';
import { aclsOfUserGroups, type AclRow } from '../../lib/db/queries/acls.js';
import { hostClientKey, hostFinder } from '../../lib/db/queries/hosts.js';
import { addRecording, closeSession, openSession, setSessionCommands } from '../../lib/db/queries/sessions.js';
import { hostsByIds } from '../../lib/db/reads/hosts.js';
import { keyOwners, usersByIds } from '../../lib/db/reads/users.js';
import { sqlOf } from '../../lib/db/sql.js';
import { drivers, suiteDatabase } from '../support/databases.js';

/** Relations sorted by id, so that the ORM's unordered joins compare. */
function sorted<T extends { groups?: { id: number }[]; roles?: { id: number }[] }>(e: T): T {
  if (e.groups) e.groups.sort((a, b) => a.id - b.id);
  if (e.roles) e.roles.sort((a, b) => a.id - b.id);
  return e;
}

for (const driver of drivers) {
  describe(`db: the login path's plain-SQL reads match the ORM (${driver})`, function () {
    const suite = suiteDatabase(driver);
    let alice: User;
    let bob: User;
    let web: Host;
    let jump: Host;
    let ownKey: SshKey;
    let ug: UserGroup[];
    let hg: HostGroup[];

    before(async () => {
      const m = suite.db.manager;
      const roles = [await m.save(m.create(UserRole, { name: 'admin' })), await m.save(m.create(UserRole, { name: 'listhosts' }))];
      ug = [await m.save(m.create(UserGroup, { name: 'ops', comment: 'c' })), await m.save(m.create(UserGroup, { name: 'dev' })), await m.save(m.create(UserGroup, { name: 'idle' }))];
      hg = [await m.save(m.create(HostGroup, { name: 'prod' })), await m.save(m.create(HostGroup, { name: 'stage' }))];
      alice = await m.save(m.create(User, { name: 'alice', email: 'a@x', comment: 'hi', roles, groups: [ug[1], ug[0]] as UserGroup[],
        inviteToken: 'sha256:x', inviteExpiresAt: new Date('2030-01-02T03:04:05.678Z') }));
      bob = await m.save(m.create(User, { name: 'bob', email: 'b@x' }));
      await m.save(m.create(UserKey, { key: 'AAAA', fingerprint: 'SHA256:alice', authorizedKey: 'ssh-ed25519 AAAA', userId: alice.id }));
      await m.save(m.create(UserKey, { key: 'BBBB', fingerprint: 'SHA256:bob', authorizedKey: 'ssh-ed25519 BBBB', userId: bob.id }));
      ownKey = await m.save(m.create(SshKey, { name: 'own', type: 'ed25519', length: 256, fingerprint: 'SHA256:own', privKey: 'priv', pubKey: 'pub' }));
      await m.save(m.create(SshKey, { name: 'default', type: 'ed25519', length: 256, fingerprint: 'SHA256:def', privKey: 'dpriv', pubKey: 'dpub' }));
      jump = await m.save(m.create(Host, { name: 'jump', addr: '10.0.0.1:22', user: 'root', groups: [hg[1]] as HostGroup[] }));
      web = await m.save(m.create(Host, { name: 'web', addr: '10.0.0.2:2222', user: 'deploy', password: 'secret', url: '', sshKeyId: ownKey.id,
        hostKey: 'HOSTKEY', comment: 'c', logging: 'input', hopId: jump.id, groups: [hg[1], hg[0]] as HostGroup[] }));
      await m.save(m.create(Acl, { action: 'allow', weight: 2, hostPattern: 'web*', inception: new Date('2020-01-01T00:00:00.123Z'),
        expiration: new Date('2040-01-01T00:00:00Z'), shell: 'no', exec: 'yes', fileCopy: 'no', localForward: 'none', remoteForward: 'a:1',
        agentForward: 'no', x11: 'no', userGroups: [ug[0], ug[1]] as UserGroup[], hostGroups: [hg[0]] as HostGroup[] }));
      await m.save(m.create(Acl, { action: 'deny', weight: 1, userGroups: [ug[1]] as UserGroup[], hostGroups: [hg[1], hg[0]] as HostGroup[] }));
      await m.save(m.create(Acl, { action: 'allow', weight: 0, userGroups: [ug[2]] as UserGroup[] }));
    });

    it('a key finds its user with roles and groups, as typeorm loads them', async () => {
      const m = suite.db.manager;
      const orm = await m.findOneOrFail(User, { where: { id: alice.id }, relations: { roles: true, groups: true } });
      const raw = await findUserByKey(m, 'SHA256:alice');
      expect(raw).to.be.instanceOf(User);
      expect(sorted(raw as User)).to.deep.equal(sorted(orm));
      expect(raw?.inviteExpiresAt?.toISOString()).to.equal('2030-01-02T03:04:05.678Z');
      const plain = await findUserByKey(m, 'SHA256:bob');
      expect(plain).to.deep.equal(await m.findOneOrFail(User, { where: { id: bob.id }, relations: { roles: true, groups: true } }));
      expect(await findUserByKey(m, 'SHA256:nobody')).to.equal(null);
    });

    it('the host finder reads a host by name or id with its groups and own client key; the default key otherwise', async () => {
      const m = suite.db.manager;
      const orm = await m.findOneOrFail(Host, { where: { name: 'web' }, relations: { groups: true, sshKey: true } });
      const byName = await hostFinder(m).byName('web');
      expect(byName).to.be.instanceOf(Host);
      expect(sorted(byName as Host)).to.deep.equal(sorted(orm));
      expect(sorted(await hostFinder(m).byId(web.id) as Host)).to.deep.equal(sorted(orm));
      const j = await hostFinder(m).byId(jump.id);
      expect(j).to.deep.equal(await m.findOneOrFail(Host, { where: { id: jump.id }, relations: { groups: true, sshKey: true } }));
      expect(j?.sshKey).to.equal(null);
      expect(await hostFinder(m).byName('nope')).to.equal(null);
      expect(await hostFinder(m).byId(999_999)).to.equal(null);
      expect(await hostClientKey(m, byName as Host)).to.deep.equal(await m.findOneByOrFail(SshKey, { name: 'own' }));
      expect(await hostClientKey(m, j as Host)).to.deep.equal(await m.findOneByOrFail(SshKey, { name: 'default' }));
    });

    it('ACLs naming user groups come with their group ids, as the ORM query gave them', async () => {
      const m = suite.db.manager;
      const reference = async (ids: number[]): Promise<AclRow[]> => {
        if (ids.length === 0) return [];
        const found = await m.find(Acl, { where: { userGroups: { id: In(ids) } }, select: { id: true } });
        const full = await m.find(Acl, { where: { id: In(found.map((a) => a.id)) }, relations: { userGroups: true, hostGroups: true }, order: { id: 'ASC' } });
        return full.map((a) => ({
          id: a.id, action: a.action, weight: a.weight, inception: a.inception, expiration: a.expiration, hostPattern: a.hostPattern,
          shell: a.shell, exec: a.exec, fileCopy: a.fileCopy, localForward: a.localForward, remoteForward: a.remoteForward,
          agentForward: a.agentForward, x11: a.x11,
          userGroupIds: (a.userGroups ?? []).map((g) => g.id).sort((x, y) => x - y), hostGroupIds: (a.hostGroups ?? []).map((g) => g.id).sort((x, y) => x - y),
        }));
      };
      for (const ids of [[ug[0].id], [ug[1].id], [ug[0].id, ug[1].id], [ug[2].id], [ug[0].id, ug[1].id, ug[2].id], [], [999_999]]) {
        expect(await aclsOfUserGroups(m, ids), JSON.stringify(ids)).to.deep.equal(await reference(ids));
      }
      const [first] = await aclsOfUserGroups(m, [ug[0].id]);
      expect(first?.inception?.toISOString()).to.equal('2020-01-01T00:00:00.123Z');
    });

    it('the re-check\'s batched reads: users, key owners, hosts', async () => {
      const m = suite.db.manager;
      const sql = sqlOf(m);
      const users = await usersByIds(sql, [bob.id, alice.id, 999_999, alice.id]);
      expect(users.map(sorted)).to.deep.equal((await m.find(User, { where: { id: In([alice.id, bob.id]) }, relations: { roles: true, groups: true }, order: { id: 'ASC' } })).map(sorted));
      expect([...await keyOwners(sql, ['SHA256:alice', 'SHA256:bob', 'SHA256:none'])].sort()).to.deep.equal([['SHA256:alice', alice.id], ['SHA256:bob', bob.id]]);
      const hosts = await hostsByIds(sql, [web.id, jump.id]);
      expect(hosts.map(sorted)).to.deep.equal((await m.find(Host, { where: { id: In([web.id, jump.id]) }, relations: { groups: true }, order: { id: 'ASC' } })).map(sorted));
      const facts = await loadLiveFacts(m, { userIds: [alice.id], fingerprints: ['SHA256:alice'], hostIds: [web.id] });
      expect(facts.users.get(alice.id)?.roles.sort()).to.deep.equal(['admin', 'listhosts']);
      expect(facts.keyOwners.get('SHA256:alice')).to.equal(alice.id);
      expect(facts.hosts.get(web.id)?.groups.map((g) => g.name).sort()).to.deep.equal(['prod', 'stage']);
      expect(facts.acls.map((a) => a.id).sort()).to.have.length(2);
    });

    it('a session row is opened, annotated and closed as the ORM reads it back', async () => {
      const m = suite.db.manager;
      const { id } = await openSession(m, { userId: alice.id, hostId: web.id, node: 'n1', remoteAddr: '127.0.0.1:5' });
      const open = await m.findOneByOrFail(Session, { id });
      expect(open).to.include({ status: 'active', userId: alice.id, hostId: web.id, node: 'n1', remoteAddr: '127.0.0.1:5', stoppedAt: null, errMsg: null,
        recordings: null, commands: null, seals: null, comment: '', deletedAt: null });
      expect(Math.abs(open.createdAt.getTime() - Date.now())).to.be.below(60_000);
      await setSessionCommands(m, id, '["exec: true"]');
      await addRecording(m, id, 'a.cast');
      await addRecording(m, id, 'a.cast');
      await addRecording(m, id, 'b.cast');
      expect(await m.findOneByOrFail(Session, { id })).to.include({ commands: '["exec: true"]', recordings: '["a.cast","b.cast"]' });
      const at = new Date('2025-05-06T07:08:09.123Z');
      await closeSession(m, id, { at, error: 'boom', recordings: ['a.cast'], seals: [{ path: 'a.cast', length: 3, sha256: 'ff' }] });
      const closed = await m.findOneByOrFail(Session, { id });
      expect(closed).to.include({ status: 'closed', errMsg: 'boom', recordings: '["a.cast"]', seals: '[{"path":"a.cast","length":3,"sha256":"ff"}]' });
      expect(closed.stoppedAt?.toISOString()).to.equal(at.toISOString());
      await closeSession(m, id, { at, recordings: [] });
      expect(await m.findOneByOrFail(Session, { id })).to.include({ errMsg: null, recordings: null, seals: null });
    });

    it('runs inside the caller\'s transaction: it sees the transaction\'s own rows', async () => {
      const seen = await suite.db.transaction(async (m) => {
        await m.save(m.create(Host, { name: 'in-tx', addr: 'h:22' }));
        return hostFinder(m).byName('in-tx');
      });
      expect(seen?.name).to.equal('in-tx');
    });
  });
}
