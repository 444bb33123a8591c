import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { App } from '../../../lib/app.js';
import { publicKeyId } from '../../../lib/db/chain/signer.js';
import { Event, HostGroup, Host, SshKey } from '../../../lib/db/entities/index.js';
import { drivers, freshDb, type TestDb } from '../../support/databases.js';
import { generateKey } from '../../support/keys.js';
import { ssh } from '../../support/openssh.js';
import { startApp } from '../../support/portal.js';
import { runProcess } from '../../support/process.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { tempDir, type TempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

for (const driver of drivers) {
  describe(`audit trail on ${driver}: the real portal, then \`sshportal verify\` offline`, function () {
    this.timeout(120_000);
    let db: TestDb;
    let dir: TempDir;
    let target: SshdTarget;
    let app: App | undefined;
    let adminKey: string;
    const logs = (): string => join(dir.path, 'log');
    const start = async (): Promise<App> => {
      app = await startApp(db, { logsLocation: logs(), env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: token } });
      return app;
    };
    const stop = async (): Promise<void> => { await app?.close(); app = undefined; };
    const token = randomBytes(12).toString('hex');

    before(async function () {
      requireSshd(this);
      db = await freshDb(this, driver);
      dir = tempDir('sshportal-audit-');
      adminKey = generateKey(join(dir.path, 'admin_key'), 'admin').path;
      const a = await start();
      expect((await ssh(a.port, adminKey, `invite:${token}`, [])).code).to.equal(0);
      const m = a.db.manager;
      target = await startSshd({ authorizedKeys: [(await m.findOneByOrFail(SshKey, { name: 'default' })).pubKey] });
      await m.save(m.create(Host, { name: 'web01', addr: `127.0.0.1:${target.port}`, user: target.user, groups: [await m.findOneByOrFail(HostGroup, { name: 'default' })] }));
    });
    after(async () => {
      await stop();
      await target?.stop();
      await db?.drop();
      dir?.remove();
    });

    /** A recorded PTY session through the portal, waited until its close event is written. */
    async function session(a: App, word: string): Promise<void> {
      const closes = await a.db.manager.countBy(Event, { domain: 'session', action: 'close' });
      const r = await ssh(a.port, adminKey, 'web01', ['echo', word], { extra: ['-tt'] });
      expect(r.code, r.stderr).to.equal(0);
      await waitFor(async () => (await a.db.manager.countBy(Event, { domain: 'session', action: 'close' })) > closes, 10_000, 'the close event');
    }

    function verify(...extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
      return runProcess(process.execPath, ['--import', 'tsx', 'cmd/sshportal.ts', 'verify', '--db-driver', db.flags.driver, '--db-conn', db.flags.conn, ...extra],
        { env: { ...process.env } });
    }

    it('seals recordings, verifies online, and offline with the exported key after the portal stopped and restarted', async () => {
      const a = app as App;
      await session(a, 'first');
      await session(a, 'second');
      const online = await ssh(a.port, adminKey, 'admin', ['config', 'verify']);
      expect(online.stdout, online.stderr).to.match(/^OK: \d+ events, 2 recordings verified$/m);
      const key = await ssh(a.port, adminKey, 'admin', ['config', 'audit-key']);
      writeFileSync(join(dir.path, 'audit.pub'), key.stdout);
      await stop();
      let r = await verify('--logs-location', logs(), '--public-key', join(dir.path, 'audit.pub'));
      expect(r.stdout, r.stderr).to.match(/^OK: \d+ events, 2 recordings verified$/m);
      expect(r.code).to.equal(0);
      // The chain survives a restart: the next node start continues it.
      const b = await start();
      await session(b, 'third');
      await stop();
      r = await verify('--logs-location', logs(), '--public-key', join(dir.path, 'audit.pub'));
      expect(r.stdout, r.stderr).to.match(/^OK: \d+ events, 3 recordings verified$/m);
    });

    it('names a checkpoint signed with a different key (the stored signing key replaced)', async () => {
      const c = await start();
      const other = generateKeyPairSync('ed25519');
      await c.db.ds.query('UPDATE audit_keys SET public_key = ?, private_key = ?', [publicKeyId(other.publicKey),
        c.db.cipher.encrypt(other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())]);
      await stop();
      const d = await start();
      await session(d, 'forged');
      await stop();
      const r = await verify('--logs-location', logs(), '--public-key', join(dir.path, 'audit.pub'));
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/^FAILED: checkpoint \d+ bad signature: it is signed by a key that is not the audit key$/m);
      const bad = await verify('--public-key', join(dir.path, 'nope.pub'));
      expect([bad.code, bad.stderr]).to.deep.equal([2, 'error: cannot read the --public-key file\n']);
    });
  });
}
