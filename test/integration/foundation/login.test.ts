import { expect } from 'chai';
import { drivers, startPortal, type Portal } from '../../support/portal.js';
import { Acl, HostGroup, SshKey, User, UserGroup, UserKey } from '../../../lib/db/entities/index.js';
import { runProcess } from '../../support/process.js';

for (const driver of drivers) {
  describe(`foundation on ${driver}: first start and logins (real OpenSSH)`, function () {
    let portal: Portal;
    before(async function () { portal = await startPortal(this, { driver }); });
    after(async () => { await portal?.close(); });

    it('logs the admin invite line exactly as sshportal does', () => {
      expect(portal.logs.some((l) => /^\S+ info 'admin' user created, use the user 'invite:[0-9a-f]{24}' to associate a public key with this account$/.test(l))).to.equal(true);
    });

    it('bootstraps the host key, default key, groups, default ACL and admin', async () => {
      const m = portal.app.db.manager;
      expect((await m.find(SshKey)).map((k) => k.name).sort()).to.deep.equal(['default', 'host']);
      expect((await m.find(HostGroup)).map((g) => g.name)).to.deep.equal(['default']);
      expect((await m.find(UserGroup)).map((g) => g.name)).to.deep.equal(['default']);
      const acls = await m.find(Acl, { relations: { userGroups: true, hostGroups: true } });
      expect(acls.map((a) => [a.action, a.userGroups?.map((g) => g.name), a.hostGroups?.map((g) => g.name)])).to.deep.equal([['allow', ['default'], ['default']]]);
      const admin = await m.findOneOrFail(User, { where: { name: 'admin' }, relations: { roles: true, groups: true } });
      expect(admin.roles?.map((r) => r.name)).to.deep.equal(['admin']);
      expect(admin.inviteToken).to.equal('');
      expect(await m.countBy(UserKey, { userId: admin.id })).to.equal(1);
    });

    it('answers OK to the healthcheck user with no key', async () => {
      const r = await portal.ssh([], { login: 'healthcheck', key: null });
      expect([r.code, r.stdout]).to.deep.equal([0, 'OK\n']);
    });

    it('gives the healthcheck user nothing else: no forwarding', async () => {
      const r = await portal.ssh(['-o', 'ExitOnForwardFailure=yes', '-W', '127.0.0.1:22'], { login: 'healthcheck', key: null, timeoutMs: 10_000 });
      expect(r.code).to.not.equal(0);
    });

    it('answers `info` and `version` to the admin', async () => {
      const v = await portal.ssh(['version']);
      expect([v.code, v.stdout.trim()]).to.deep.equal([0, 'test']);
      const i = await portal.ssh(['info']);
      expect(i.code).to.equal(0);
      expect(i.stdout).to.include('admin');
    });

    it('offers AES-GCM and AES-CTR by default, not chacha20 (see --ciphers)', async () => {
      expect((await portal.ssh(['version'], { extra: ['-c', 'aes128-ctr'] })).code).to.equal(0);
      expect((await portal.ssh(['version'], { extra: ['-c', 'chacha20-poly1305@openssh.com'] })).code).to.equal(255);
    });

    it('refuses an unknown key with one clear line', async () => {
      const key = portal.newKey('stranger');
      const r = await portal.ssh(['info'], { key, extra: ['-o', 'BatchMode=no', '-o', 'LogLevel=INFO'] });
      expect(r.code).to.equal(255);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^error: unknown key SHA256:\S+: ask an administrator for an invite/);
    });

    it('binds an invite once: the welcome, then a used token never binds a second key', async () => {
      const m = portal.app.db.manager;
      const token = 'bob-token-' + driver;
      const { hashToken } = await import('../../../lib/crypto/tokens.js');
      await m.save(m.create(User, { name: 'bob', email: 'bob@example.org', inviteToken: hashToken(token) }));
      const k1 = portal.newKey('bob1');
      const first = await portal.ssh([], { login: `invite:${token}`, key: k1 });
      expect(first.code).to.equal(0);
      expect(first.stdout).to.equal('Welcome bob!\n\nYour key is now associated with the user "bob@example.org".\n');
      const k2 = portal.newKey('bob2');
      const second = await portal.ssh([], { login: `invite:${token}`, key: k2, extra: ['-o', 'BatchMode=no', '-o', 'LogLevel=INFO'] });
      expect(second.code).to.equal(255);
      expect(second.stderr).to.match(/error: invalid or expired invite token/);
      const bob = await m.findOneByOrFail(User, { name: 'bob' });
      expect(await m.countBy(UserKey, { userId: bob.id })).to.equal(1);
    });

    it('refuses an expired invite', async () => {
      const m = portal.app.db.manager;
      const { hashToken } = await import('../../../lib/crypto/tokens.js');
      await m.save(m.create(User, { name: 'carol', email: 'c@x', inviteToken: hashToken('old-token'), inviteExpiresAt: new Date(Date.now() - 1000) }));
      const r = await portal.ssh([], { login: 'invite:old-token', key: portal.newKey('carol') });
      expect(r.code).to.equal(255);
    });

    it('the healthcheck CLI exits 0 against the portal and 1 against nothing', async () => {
      const cli = ['--import', 'tsx', 'cmd/sshportal.ts', 'healthcheck'];
      const ok = await runProcess(process.execPath, [...cli, '--addr', `127.0.0.1:${portal.port}`]);
      expect([ok.code, ok.stdout]).to.deep.equal([0, 'OK\n']);
      const quiet = await runProcess(process.execPath, [...cli, '-q', '--addr', `127.0.0.1:${portal.port}`]);
      expect([quiet.code, quiet.stdout]).to.deep.equal([0, '']);
      const down = await runProcess(process.execPath, [...cli, '--addr', '127.0.0.1:1']);
      expect(down.code).to.equal(1);
      expect(down.stderr).to.match(/^error: unhealthy/);
    });
  });
}
