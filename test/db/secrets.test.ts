/**
 * Secrets at rest, driven directly (no server): what `prepareSecrets` does at
 * start-up for each combination of key, previous key and stored data.
 */
import { expect } from 'chai';
import { createFieldCipher, isEncrypted } from '../../lib/crypto/field-cipher.js';
import { generateKeyPair } from '../../lib/crypto/ssh-keys.js';
import { openDatabase, type Database } from '../../lib/db/database.js';
import { Host, SshKey } from '../../lib/db/entities/index.js';
import { prepareSecrets } from '../../lib/db/secrets.js';
import { ConfigError } from '../../lib/errors.js';
import { drivers, freshDb, type TestDb } from '../support/databases.js';

const k1 = 'k1'.repeat(8);
const k2 = 'k2'.repeat(12);
const pair = generateKeyPair('ed25519', 256, 'target');

for (const driver of drivers) {
  describe(`db: secrets at rest (${driver})`, function () {
    let testDb: TestDb;
    const open: Database[] = [];
    /** One node's start-up with `key` (null: no --aes-key). */
    const node = async (key: string | null): Promise<Database> => {
      const db = await openDatabase(testDb.config, key);
      open.push(db);
      return db;
    };
    const stored = async (db: Database): Promise<string[]> => [
      (await db.manager.findOneByOrFail(SshKey, { name: 'target' })).privKey,
      (await db.manager.findOneByOrFail(Host, { name: 'web' })).password ?? '',
    ];

    before(async function () {
      testDb = await freshDb(this, driver);
      const db = await node(null);
      const key = await db.manager.save(db.manager.create(SshKey, { name: 'target', type: pair.type, length: pair.length, fingerprint: pair.fingerprint, privKey: pair.privateKey, pubKey: pair.publicKey }));
      await db.manager.save(db.manager.create(Host, { name: 'web', addr: '127.0.0.1:22', password: 'hunter2', sshKeyId: key.id }));
    });
    after(async () => {
      for (const db of open) await db.close();
      await testDb?.drop();
    });

    it('no key on clear data: nothing to do', async () => {
      const db = await node(null);
      expect(await prepareSecrets(db, null)).to.deep.equal({ converted: 0, rotated: false });
      expect(await stored(db)).to.deep.equal([pair.privateKey, 'hunter2']);
    });

    it('a key on clear data encrypts every secret field, once', async () => {
      const db = await node(k1);
      expect(await prepareSecrets(db, null)).to.deep.equal({ converted: 2, rotated: false });
      const values = await stored(db);
      expect(values.every(isEncrypted), values.join('\n')).to.equal(true);
      expect(values.map((v) => createFieldCipher(k1).decrypt(v))).to.deep.equal([pair.privateKey, 'hunter2']);
      expect(await prepareSecrets(await node(k1), null)).to.deep.equal({ converted: 0, rotated: false });
    });

    it('no key, or a wrong key, on encrypted data is refused with one clear message and changes nothing', async () => {
      const before = await stored(await node(null));
      const none = await prepareSecrets(await node(null), null).catch((e: unknown) => e);
      expect(none).to.be.instanceOf(ConfigError).with.property('message', 'this database holds encrypted secrets: start the server with its --aes-key');
      const wrong = await prepareSecrets(await node(k2), null).catch((e: unknown) => e);
      expect(wrong).to.be.instanceOf(ConfigError).with.property('message', 'wrong --aes-key: it does not open the secrets stored in this database');
      const wrongPrevious = await prepareSecrets(await node(k2), 'zz'.repeat(8)).catch((e: unknown) => e);
      expect(wrongPrevious).to.be.instanceOf(ConfigError);
      expect(await stored(await node(null))).to.deep.equal(before);
    });

    it('a new key with the previous one rotates every secret', async () => {
      const db = await node(k2);
      expect(await prepareSecrets(db, k1)).to.deep.equal({ converted: 2, rotated: true });
      expect((await stored(db)).map((v) => createFieldCipher(k2).decrypt(v))).to.deep.equal([pair.privateKey, 'hunter2']);
      expect(await prepareSecrets(await node(k2), null)).to.deep.equal({ converted: 0, rotated: false });
    });

    it('a clear value written later (a restore, a node without the key) is encrypted at the next start', async () => {
      const db = await node(k2);
      await db.manager.update(Host, { name: 'web' }, { password: 'new-clear' });
      expect(await prepareSecrets(db, null)).to.deep.equal({ converted: 1, rotated: false });
      expect(createFieldCipher(k2).decrypt((await stored(db))[1] ?? '')).to.equal('new-clear');
    });
  });
}
