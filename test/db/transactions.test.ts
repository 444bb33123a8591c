/**
 * Issue 14, item 5: transactions that InnoDB aborts (a real deadlock between
 * two transactions of one node) are run again by `Database.transaction`, so
 * both callers succeed instead of one getting "internal error".
 */
import { expect } from 'chai';
import { openDatabase, type Database } from '../../lib/db/database.js';
import { HostGroup } from '../../lib/db/entities/index.js';
import { freshDb, type TestDb } from '../support/databases.js';

describe('db: a deadlocked transaction is retried (mysql)', function () {
  this.timeout(60_000);
  let testDb: TestDb;
  let db: Database;

  before(async function () {
    testDb = await freshDb(this, 'mysql');
    db = await openDatabase(testDb.config, null);
    await db.manager.save([db.manager.create(HostGroup, { name: 'a' }), db.manager.create(HostGroup, { name: 'b' })]);
  });
  after(async () => {
    await db?.close();
    await testDb?.drop();
  });

  it('two transactions locking two rows in opposite order both commit', async () => {
    // Both first lock "their" row, then wait for each other before taking the other one: a deadlock on the first attempt.
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothLocked = new Promise<void>((r) => { release = r; });
    const attempts = { ab: 0, ba: 0 };
    const lockInOrder = (first: string, second: string, tag: keyof typeof attempts, comment: string): Promise<void> => db.transaction(async (m) => {
      attempts[tag]++;
      await m.update(HostGroup, { name: first }, { comment });
      if (++arrived === 2) release();
      await bothLocked;
      await m.update(HostGroup, { name: second }, { comment });
    });
    await Promise.all([lockInOrder('a', 'b', 'ab', 'by ab'), lockInOrder('b', 'a', 'ba', 'by ba')]);
    // One of them was InnoDB's deadlock victim and ran again.
    expect(attempts.ab + attempts.ba).to.be.at.least(3);
    const rows = await db.manager.find(HostGroup, { where: [{ name: 'a' }, { name: 'b' }] });
    const comments = new Set(rows.map((r) => r.comment));
    // Each transaction was all-or-nothing: both rows carry the last committer's mark.
    expect(comments.size).to.equal(1);
  });
});
