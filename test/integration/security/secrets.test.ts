import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from '../../../lib/app.js';
import type { ServerFlags } from '../../../lib/config/server-config.js';
import { isEncrypted } from '../../../lib/crypto/field-cipher.js';
import { parsePrivateKey } from '../../../lib/crypto/ssh-keys.js';
import { Host, Setting, SshKey } from '../../../lib/db/entities/index.js';
import { drivers, freshDb, type TestDb } from '../../support/databases.js';
import { startApp } from '../../support/portal.js';
import { tempDir } from '../../support/tmp.js';

const keyA = 'a'.repeat(32);
const keyB = 'b'.repeat(24);

/** Where every portal of this file writes recordings; removed once the file's suites are done. */
const scratch = tempDir();
after(() => scratch.remove());

function start(db: TestDb, flags: ServerFlags, logs: string[] = []): Promise<App> {
  return startApp(db, { logsLocation: join(scratch.path, 'log'), flags, logs });
}

async function startFails(db: TestDb, flags: ServerFlags): Promise<string> {
  try {
    const app = await start(db, flags);
    await app.close();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('the server started');
}

for (const driver of drivers) {
  describe(`security on ${driver}: secrets at rest`, function () {
    let db: TestDb;
    before(async function () { db = await freshDb(this, driver); });
    after(async () => { await db?.drop(); });

    it('encrypts clear secrets when a key is set, refuses a wrong or missing key, rotates to a new key', async () => {
      // 1. A portal without a key stores a host password in clear.
      let app = await start(db, {});
      const m0 = app.db.manager;
      await m0.save(m0.create(Host, { name: 'h', addr: 'h:22', password: 'hunter2' }));
      const hostKeyBefore = (await m0.findOneByOrFail(SshKey, { name: 'host' })).pubKey;
      const clusterKey = async (a: App): Promise<string> => (await a.db.manager.findOneByOrFail(Setting, { name: 'cluster_key' })).value;
      const clusterKeyBefore = parsePrivateKey(await clusterKey(app)).fingerprint;
      await app.close();

      // 2. Starting with a key encrypts every secret and writes a verifier.
      const logs: string[] = [];
      app = await start(db, { aesKey: keyA }, logs);
      const m1 = app.db.manager;
      for (const k of await m1.find(SshKey)) expect(isEncrypted(k.privKey), k.name).to.equal(true);
      expect(isEncrypted((await m1.findOneByOrFail(Host, { name: 'h' })).password ?? '')).to.equal(true);
      expect(isEncrypted(await clusterKey(app)), 'cluster key').to.equal(true);
      expect(app.db.cipher.decrypt((await m1.findOneByOrFail(Host, { name: 'h' })).password ?? '')).to.equal('hunter2');
      expect(logs.some((l) => l.includes('secrets encrypted with --aes-key'))).to.equal(true);
      expect(logs.join('\n')).to.not.include('hunter2');
      await app.close();
      if (driver === 'sqlite3' && db.config.driver === 'sqlite3') {
        const raw = readFileSync(db.config.path).toString('latin1') + readWal(db.config.path);
        expect(raw).to.not.include('hunter2');
        expect(raw).to.not.include('OPENSSH PRIVATE KEY');
      }

      // 3. A wrong key or no key fails at start-up with one clear message.
      expect(await startFails(db, { aesKey: keyB })).to.equal('wrong --aes-key: it does not open the secrets stored in this database');
      expect(await startFails(db, {})).to.equal('this database holds encrypted secrets: start the server with its --aes-key');

      // 4. Rotation: the new key with the previous one re-encrypts everything; the host key stays.
      app = await start(db, { aesKey: keyB, aesKeyPrevious: keyA });
      expect(app.db.cipher.decrypt((await app.db.manager.findOneByOrFail(Host, { name: 'h' })).password ?? '')).to.equal('hunter2');
      expect((await app.db.manager.findOneByOrFail(SshKey, { name: 'host' })).pubKey).to.equal(hostKeyBefore);
      // The cluster key is re-encrypted too, and stays the same key.
      expect(parsePrivateKey(app.db.cipher.decrypt(await clusterKey(app))).fingerprint).to.equal(clusterKeyBefore);
      await app.close();
      expect(await startFails(db, { aesKey: keyA })).to.match(/^wrong --aes-key/);
      app = await start(db, { aesKey: keyB });
      await app.close();
    });
  });
}

function readWal(path: string): string {
  try {
    return readFileSync(`${path}-wal`).toString('latin1');
  } catch {
    return '';
  }
}
