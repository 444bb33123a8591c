/**
 * Trust on first use of target host keys when two nodes meet a new target at
 * the same moment: one key ends up pinned, and the node that lost the race
 * checks its key against the winner's (a different key is a mismatch, never a
 * second pin).
 */
import { expect } from 'chai';
import { fingerprintOf, generateKeyPair } from '../../lib/crypto/ssh-keys.js';
import { pinHostKey } from '../../lib/db/queries/hosts.js';
import { openDatabase, type Database } from '../../lib/db/database.js';
import { Host } from '../../lib/db/entities/index.js';
import { HostKeyMismatchError } from '../../lib/errors.js';
import { checkHostKey, type PinQuery } from '../../lib/server/host-key-pin.js';
import { drivers, freshDb, type TestDb } from '../support/databases.js';

const keyA = generateKeyPair('ed25519', 256, 'a').publicKey;
const keyB = generateKeyPair('ed25519', 256, 'b').publicKey;
const blob = (line: string): string => line.split(' ')[1] ?? '';

for (const driver of drivers) {
  describe(`db: host key pinning by two nodes at once (${driver})`, function () {
    let testDb: TestDb;
    let nodeA: Database;
    let nodeB: Database;
    const pinOf = (db: Database): PinQuery => (id, b) => pinHostKey(db.manager, id, b);
    const newHost = async (name: string): Promise<Host> => nodeA.manager.save(nodeA.manager.create(Host, { name, addr: '127.0.0.1:22' }));
    // Each node reads the row before either pins, as two bastions opening a session at once do.
    const readBoth = async (id: number): Promise<[Host, Host]> =>
      [await nodeA.manager.findOneByOrFail(Host, { id }), await nodeB.manager.findOneByOrFail(Host, { id })];

    before(async function () {
      testDb = await freshDb(this, driver);
      nodeA = await openDatabase(testDb.config, null);
      nodeB = await openDatabase(testDb.config, null);
    });
    after(async () => {
      await nodeA?.close();
      await nodeB?.close();
      await testDb?.drop();
    });

    it('the pinning query, called by both nodes with different keys, pins one key and tells both which', async () => {
      for (let i = 0; i < 10; i++) {
        const host = await newHost(`race-query-${i}`);
        const [a, b] = await Promise.all([pinHostKey(nodeA.manager, host.id, blob(keyA)), pinHostKey(nodeB.manager, host.id, blob(keyB))]);
        const stored = (await nodeA.manager.findOneByOrFail(Host, { id: host.id })).hostKey;
        expect([blob(keyA), blob(keyB)]).to.include(stored);
        expect([a, b]).to.deep.equal([stored, stored]);
      }
    });

    it('the losing node verifies against the winner\'s key: one pins, the other reports a mismatch naming both keys', async () => {
      for (let i = 0; i < 10; i++) {
        const host = await newHost(`race-check-${i}`);
        const [rowA, rowB] = await readBoth(host.id);
        const results = await Promise.allSettled([checkHostKey(rowA, keyA, pinOf(nodeA)), checkHostKey(rowB, keyB, pinOf(nodeB))]);
        const stored = (await nodeA.manager.findOneByOrFail(Host, { id: host.id })).hostKey;
        const winner = stored === blob(keyA) ? 0 : 1;
        const loser = 1 - winner;
        expect(results[winner]).to.deep.equal({ status: 'fulfilled', value: 'pinned' });
        const lost = results[loser];
        expect(lost?.status).to.equal('rejected');
        const err: unknown = lost?.status === 'rejected' ? lost.reason : null;
        expect(err).to.be.instanceOf(HostKeyMismatchError);
        const [winnerKey, loserKey] = winner === 0 ? [keyA, keyB] : [keyB, keyA];
        expect(err).to.include({ host: host.name, expected: fingerprintOf(winnerKey), actual: fingerprintOf(loserKey) });
      }
    });

    it('both nodes presenting the same key both succeed', async () => {
      const host = await newHost('race-same');
      const [rowA, rowB] = await readBoth(host.id);
      expect(await Promise.all([checkHostKey(rowA, keyA, pinOf(nodeA)), checkHostKey(rowB, keyA, pinOf(nodeB))])).to.deep.equal(['pinned', 'pinned']);
      expect((await nodeB.manager.findOneByOrFail(Host, { id: host.id })).hostKey).to.equal(blob(keyA));
    });

    it('a pinned key is checked without pinning again: the same key is known, another one a mismatch', async () => {
      const host = await nodeA.manager.save(nodeA.manager.create(Host, { name: 'pinned', addr: '127.0.0.1:22', hostKey: blob(keyA) }));
      const never: PinQuery = () => Promise.reject(new Error('must not pin a pinned host'));
      expect(await checkHostKey(host, keyA, never)).to.equal('known');
      expect(await checkHostKey(host, blob(keyA), never)).to.equal('known');
      const err = await checkHostKey(host, keyB, never).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(HostKeyMismatchError).and.include({ expected: fingerprintOf(keyA), actual: fingerprintOf(keyB) });
      expect((await nodeB.manager.findOneByOrFail(Host, { id: host.id })).hostKey).to.equal(blob(keyA));
    });
  });
}
