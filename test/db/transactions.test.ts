/**
 * Issue 14, item 5: transactions that InnoDB aborts (a real deadlock between
 * two transactions of one node) are run again by `Database.transaction`, so
 * both callers succeed instead of one getting "internal error".
 */
import { expect } from 'chai';
import { openDatabase, type Database } from '../../lib/db/database.js';
import { HostGroup } from '../../lib/db/entities/index.js';
import { freshDb, suiteDatabase, type TestDb } from '../support/databases.js';

/** The deadline of these tests: row-lock waits give up after 1 s (lockWaitSeconds). */
const timeoutMs = 2_000;

describe('db: transactions aborted by lock contention are retried (mysql)', function () {
  this.timeout(60_000);
  let testDb: TestDb;
  let db: Database;

  before(async function () {
    testDb = await freshDb(this, 'mysql');
    db = await openDatabase(testDb.config, null, { timeoutMs });
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

  it('a write queued behind a lock held longer than --db-timeout retries and commits, its connection intact', async () => {
    let locked: () => void = () => undefined;
    const holding = new Promise<void>((r) => { locked = r; });
    let attempts = 0;
    // Holds a's row lock for 1.5 × the deadline with no query in flight (an admin transaction doing other work).
    const holder = db.transaction(async (m) => {
      await m.update(HostGroup, { name: 'a' }, { comment: 'holder' });
      locked();
      await new Promise((r) => setTimeout(r, timeoutMs * 1.5));
    });
    await holding;
    const started = Date.now();
    await db.transaction(async (m) => {
      attempts++;
      await m.update(HostGroup, { name: 'a' }, { comment: 'waiter' });
    });
    await holder;
    // Each wait ended with ER_LOCK_WAIT_TIMEOUT after 1 s (not the deadline killing the connection), then ran again.
    expect(attempts).to.be.at.least(2);
    expect(Date.now() - started).to.be.below(timeoutMs * 6);
    expect((await db.manager.findOneByOrFail(HostGroup, { name: 'a' })).comment).to.equal('waiter');
  });
});

describe('db: overlapping transactions take turns (sqlite3)', () => {
  const suite = suiteDatabase('sqlite3');

  it('two transactions that await inside both commit (no nested BEGIN on the one connection)', async () => {
    const write = (name: string): Promise<void> => suite.db.transaction(async (m) => {
      await m.save(m.create(HostGroup, { name }));
      await new Promise((r) => setTimeout(r, 20));
      await m.update(HostGroup, { name }, { comment: `by ${name}` });
    });
    await Promise.all([write('x'), write('y'), write('z')]);
    const rows = await suite.db.manager.find(HostGroup, { order: { name: 'ASC' } });
    expect(rows.map((r) => `${r.name}:${r.comment}`)).to.deep.equal(['x:by x', 'y:by y', 'z:by z']);
  });
});
