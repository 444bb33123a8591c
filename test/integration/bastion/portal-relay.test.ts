import { expect } from 'chai';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Acl, Event, Host, HostGroup, Session, SshKey, UserGroup } from '../../../lib/db/entities/index.js';
import { drivers, startPortal, type Portal } from '../../support/portal.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';

/** Adds a host row pointing at an sshd target, in the `default` host group (or `groups`). */
async function addHost(p: Portal, name: string, t: SshdTarget, groups = ['default'], extra: Partial<Host> = {}): Promise<Host> {
  const m = p.app.db.manager;
  const hg = await Promise.all(groups.map((g) => m.findOneByOrFail(HostGroup, { name: g })));
  return m.save(m.create(Host, { name, addr: `127.0.0.1:${t.port}`, user: t.user, groups: hg, ...extra }));
}

for (const driver of drivers) {
  describe(`bastion on ${driver}: ssh host@portal through the real server`, function () {
    let portal: Portal;
    let target: SshdTarget;
    let other: SshdTarget;
    before(async function () {
      requireSshd(this);
      portal = await startPortal(this, { driver });
      const m = portal.app.db.manager;
      const portalKey = await m.findOneByOrFail(SshKey, { name: 'default' });
      target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
      other = await startSshd({ authorizedKeys: [portalKey.pubKey] });
      await addHost(portal, 'web01', target);
    });
    after(async () => {
      await portal?.close();
      await target?.stop();
      await other?.stop();
    });

    it('relays a command with its exit status, stdout and stderr apart', async () => {
      const r = await portal.ssh(['echo out; echo err >&2; exit 7'], { login: 'web01' });
      expect([r.code, r.stdout, r.stderr]).to.deep.equal([7, 'out\n', 'err\n']);
    });

    it('pins the target host key on first use, writes a session row and events', async () => {
      const m = portal.app.db.manager;
      const host = await m.findOneByOrFail(Host, { name: 'web01' });
      expect(host.hostKey).to.equal(target.hostKey.split(' ')[1]);
      const sessions = await m.find(Session, { where: { hostId: host.id }, order: { id: 'ASC' } });
      expect(sessions.length).to.be.greaterThan(0);
      await waitFor(async () => (await m.findOneByOrFail(Session, { id: sessions[0].id })).status === 'closed', 5_000, 'the session row to close');
      const s = await m.findOneByOrFail(Session, { id: sessions[0].id });
      expect(s.node).to.equal('test-node');
      expect(s.stoppedAt).to.be.instanceOf(Date);
      const actions = async (): Promise<string[]> => (await m.find(Event, { where: { domain: 'session', entity: 'web01' } })).map((e) => e.action);
      await waitFor(async () => (await actions()).includes('close'), 5_000, 'the close event');
      expect(await actions()).to.include.members(['connect', 'close']);
    });

    it('records a PTY session as asciicast and `session inspect` names the file', async () => {
      const r = await portal.ssh(['echo', 'hello-cast'], { login: 'web01', extra: ['-tt'] });
      expect(r.code).to.equal(0);
      const m = portal.app.db.manager;
      const last = await m.findOneOrFail(Session, { where: {}, order: { id: 'DESC' } });
      await waitFor(async () => (await m.findOneByOrFail(Session, { id: last.id })).status === 'closed', 5_000, 'the session row to close');
      const inspect = await portal.ssh(['session', 'inspect', String(last.id)]);
      const [json] = JSON.parse(inspect.stdout) as { Recordings: string[] }[];
      const cast = json.Recordings.find((p) => p.endsWith('.cast'));
      expect(cast, inspect.stdout).to.be.a('string');
      const text = readFileSync(isAbsolute(cast ?? '') ? cast ?? '' : join(portal.dir, 'log', cast ?? ''), 'utf8');
      expect(JSON.parse(text.split('\n')[0]) as { version: number }).to.include({ version: 2 });
      expect(text).to.include('hello-cast');
    });

    it('refuses a changed target host key, naming the host and both fingerprints', async () => {
      await addHost(portal, 'moved', other);
      const m = portal.app.db.manager;
      await m.update(Host, { name: 'moved' }, { hostKey: target.hostKey.split(' ')[1] });
      const r = await portal.ssh(['true'], { login: 'moved' });
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/^error: host key mismatch for host 'moved': expected SHA256:\S+, got SHA256:\S+/m);
      expect(await m.countBy(Event, { domain: 'host', action: 'host-key-mismatch', entity: 'moved' })).to.equal(1);
    });

    it('refuses a host whose stored logging mode names no mode, never recording it as everything', async () => {
      await addHost(portal, 'oddmode', target);
      const m = portal.app.db.manager;
      // Written outside the portal (the shell and the restore both refuse it).
      await m.query("UPDATE hosts SET logging = 'all' WHERE name = 'oddmode'");
      const before = await m.countBy(Session, {});
      const r = await portal.ssh(['true'], { login: 'oddmode', timeoutMs: 15_000 });
      expect([r.code, r.stderr]).to.deep.equal([1, "error: host 'oddmode' has an invalid logging mode; an admin can set it with 'host update --logging everything oddmode'\n"]);
      expect(await m.countBy(Session, {})).to.equal(before);
    });

    it('answers an unknown host with one error line and an event, never a hang', async () => {
      const r = await portal.ssh(['true'], { login: 'nosuchhost', timeoutMs: 15_000 });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal("error: no such host 'nosuchhost'\n");
      expect(await portal.app.db.manager.countBy(Event, { domain: 'session', action: 'deny', entity: 'nosuchhost' })).to.equal(1);
    });

    it('denies a host outside the user\'s ACLs, and lets the lowest weight win', async () => {
      const m = portal.app.db.manager;
      const secret = await m.save(m.create(HostGroup, { name: 'secret' }));
      await addHost(portal, 'vault', target, ['secret']);
      const denied = await portal.ssh(['true'], { login: 'vault' });
      expect([denied.code, denied.stderr]).to.deep.equal([1, "error: access to host 'vault' denied\n"]);
      const ug = await m.findOneByOrFail(UserGroup, { name: 'default' });
      await m.save(m.create(Acl, { action: 'allow', weight: 10, userGroups: [ug], hostGroups: [secret] }));
      expect((await portal.ssh(['true'], { login: 'vault' })).code).to.equal(0);
      await m.save(m.create(Acl, { action: 'deny', weight: 5, userGroups: [ug], hostGroups: [secret] }));
      expect((await portal.ssh(['true'], { login: 'vault' })).code).to.equal(1);
    });

    it('accepts a host id as the login name', async () => {
      const host = await portal.app.db.manager.findOneByOrFail(Host, { name: 'web01' });
      const r = await portal.ssh(['echo', 'by-id'], { login: String(host.id) });
      expect([r.code, r.stdout]).to.deep.equal([0, 'by-id\n']);
    });
  });
}

describe('bastion: --acl-check-cmd through the real server', function () {
  let portal: Portal;
  let target: SshdTarget;
  before(async function () {
    requireSshd(this);
    const dirHook = join(process.cwd(), '.tmp');
    const hook = join(dirHook, `acl-hook-${process.pid}.sh`);
    mkdirSync(dirHook, { recursive: true });
    writeFileSync(hook, '#!/bin/sh\ncase "$3" in *\'"Name":"blocked"\'*) echo deny;; *) echo "$1";; esac\n');
    chmodSync(hook, 0o755);
    portal = await startPortal(this, { driver: 'sqlite3', flags: { aclCheckCmd: hook } });
    const key = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [key.pubKey] });
    await addHost(portal, 'open', target);
    await addHost(portal, 'blocked', target);
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
    rmSync(join(process.cwd(), '.tmp', `acl-hook-${process.pid}.sh`), { force: true });
  });

  it('the hook can deny what the ACLs allow', async () => {
    expect((await portal.ssh(['true'], { login: 'open' })).code).to.equal(0);
    const r = await portal.ssh(['true'], { login: 'blocked' });
    expect([r.code, r.stderr]).to.deep.equal([1, "error: access to host 'blocked' denied\n"]);
  });
});
