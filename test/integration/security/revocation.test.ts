/**
 * Revocation reaches multiplexed connections, per new channel: the periodic
 * re-check is pushed out of the way (one hour), so only the check every new
 * channel makes can refuse it. The periodic re-check is tested across two
 * nodes in test/integration/cluster/revocation.test.ts.
 */
import { expect } from 'chai';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SshKey } from '../../../lib/db/entities/index.js';
import { openTunnel, startMaster } from '../../support/mux.js';
import { drivers, startPortal, type Portal } from '../../support/portal.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';
import { addWebHost, adminAnswersQuickly, enroll, revocations, revoke, waitForRevokeEvents, type AdminRun } from './revocation-kit.js';

for (const driver of drivers) {
  describe(`revocation on ${driver}: every new channel of a ControlMaster connection re-checks access`, function () {
    this.timeout(120_000);
    let portal: Portal;
    let target: SshdTarget;
    let rssBefore = 0;
    const admin: AdminRun = (args) => portal.ssh(args);

    before(async function () {
      requireSshd(this);
      portal = await startPortal(this, { driver, revocationIntervalMs: 3_600_000 });
      const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
      target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
      await addWebHost(admin, target);
      rssBefore = process.memoryUsage().rss;
    });
    after(async () => {
      await portal?.close();
      await target?.stop();
    });

    revocations.forEach((kind, i) => {
      it(`${kind}: the next session and -L connection are refused, the connection ends, with an event`, async () => {
        const m = portal.app.db.manager;
        const name = `pc${i}`;
        const u = await enroll(admin, m, portal.port, portal.dir, name, kind);
        const ses = await startMaster(portal.port, u.key, 'web01', portal.dir, `${name}s`);
        const fwd = await startMaster(portal.port, u.key, 'web01', portal.dir, `${name}f`);
        try {
          const before = await ses.run(['echo', 'before']);
          expect([before.code, before.stdout], before.stderr).to.deep.equal([0, 'before\n']);
          const local = await fwd.forward(`127.0.0.1:${target.port}`);
          const first = await openTunnel(local, /^SSH-2\.0-/);
          expect(first.received()).to.match(/^SSH-2\.0-/);
          first.socket.destroy();

          await revoke(admin, kind, u);
          const after = await ses.run(['echo', 'after']);
          expect(after.code, after.stderr).to.not.equal(0);
          expect(after.stdout).to.equal('');
          expect(after.stderr).to.match(/^error: access revoked: /m);
          const second = await openTunnel(local, /^SSH-2\.0-/);
          await second.closed;
          expect(second.received(), 'nothing through a -L opened after the revocation').to.equal('');

          await waitFor(async () => !(await ses.alive()) && !(await fwd.alive()), 5_000, 'both connections to end');
          const events = await waitForRevokeEvents(m, name, 2);
          expect(events.map((e) => e.login)).to.deep.equal(['host', 'host']);
          await adminAnswersQuickly(admin);
        } finally {
          await ses.exit();
          await fwd.exit();
        }
      });
    });

    const shellCases = [
      { what: 'its admin role removed', revoke: (n: string) => ['user', 'update', '--unassign-role', 'admin', n], reason: /role admin removed/ },
      { what: 'removed', revoke: (n: string) => ['user', 'rm', n], reason: /user removed/ },
    ];
    shellCases.forEach((c, i) => {
      it(`admin shell: a user ${c.what} gets no new shell channel and loses the connection`, async () => {
        const m = portal.app.db.manager;
        const name = `boss${i}`;
        const u = await enroll(admin, m, portal.port, portal.dir, name);
        expect((await admin(['user', 'update', '--assign-role', 'admin', name])).code).to.equal(0);
        const master = await startMaster(portal.port, u.key, 'admin', portal.dir, name);
        try {
          const before = await master.run(['user', 'ls']);
          expect(before.code, before.stderr).to.equal(0);
          expect((await admin(c.revoke(name))).code).to.equal(0);
          const after = await master.run(['user', 'ls']);
          expect(after.code).to.not.equal(0);
          expect(after.stderr).to.match(c.reason);
          await waitFor(async () => !(await master.alive()), 5_000, 'the admin shell connection to end');
          expect((await waitForRevokeEvents(m, name, 1)).map((e) => e.login)).to.deep.equal(['shell']);
          await adminAnswersQuickly(admin);
        } finally {
          await master.exit();
        }
      });
    });

    it('keeps the portal within +200 MB of RSS', () => {
      expect(process.memoryUsage().rss - rssBefore).to.be.below(200 * 1024 * 1024);
    });
  });
}

describe('revocation with --acl-check-cmd: the hook is asked again only when its input changed', function () {
  this.timeout(120_000);
  const hookDir = join(process.cwd(), '.tmp', `revocation-hook-${process.pid}`);
  const verdict = join(hookDir, 'verdict');
  const calls = join(hookDir, 'calls');
  let portal: Portal;
  let target: SshdTarget;
  const admin: AdminRun = (args) => portal.ssh(args);

  before(async function () {
    requireSshd(this);
    mkdirSync(hookDir, { recursive: true });
    const hook = join(hookDir, 'hook.sh');
    // Counts its runs; answers what the verdict file says.
    writeFileSync(hook, `#!/bin/sh\necho x >> '${calls}'\ncat '${verdict}'\n`);
    chmodSync(hook, 0o755);
    writeFileSync(verdict, 'allow\n');
    writeFileSync(calls, '');
    portal = await startPortal(this, { driver: 'sqlite3', flags: { aclCheckCmd: join(hookDir, 'hook.sh') } });
    const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    await addWebHost(admin, target);
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
    rmSync(hookDir, { recursive: true, force: true });
  });

  it('keeps a connection the hook allowed against the ACLs, and ends it once the hook denies a changed input', async () => {
    const m = portal.app.db.manager;
    const u = await enroll(admin, m, portal.port, portal.dir, 'hooked');
    expect((await admin(['acl', 'rm', String(u.aclId)])).code).to.equal(0);
    writeFileSync(calls, '');
    const master = await startMaster(portal.port, u.key, 'web01', portal.dir, 'hooked');
    try {
      expect((await master.run(['echo', 'one'])).stdout).to.equal('one\n');
      await new Promise((r) => setTimeout(r, 5_000));
      expect((await master.run(['echo', 'two'])).stdout, 'the hook still allows: no ACL decides alone').to.equal('two\n');
      expect(readFileSync(calls, 'utf8'), 'asked once, at the first channel').to.equal('x\n');

      writeFileSync(verdict, 'deny\n');
      expect((await admin(['user', 'update', '--unassign-group', u.group, u.name])).code).to.equal(0);
      await waitFor(async () => !(await master.alive()), 5_000, 'the connection to end');
      const [event] = await waitForRevokeEvents(m, u.name, 1);
      expect(event?.reason).to.match(/acl-check-cmd says deny/);
    } finally {
      await master.exit();
    }
  });
});
