/**
 * On a real SQLite file: the writes made outside transactions in one turn of
 * the event loop (chained events, session rows) commit together, in order,
 * and a failing one fails alone. The rules case by case:
 * test/unit/db/sqlite-group-commit.test.ts.
 */
import { expect } from 'chai';
import { Event, Session } from '../../lib/db/entities/index.js';
import { recordEvent } from '../../lib/db/events.js';
import { sqlOf } from '../../lib/db/sql.js';
import { sqliteConnection } from '../../lib/db/sqlite-connection.js';
import { openDatabase } from '../../lib/db/database.js';
import { suiteDatabase } from '../support/databases.js';
import { tempDir } from '../support/tmp.js';

describe('db: writes outside a transaction commit together, one group per turn of the event loop (sqlite3)', () => {
  const suite = suiteDatabase('sqlite3');
  const conn = () => {
    const c = sqliteConnection(suite.db.manager.dataSource);
    if (!c) throw new Error('no SQLite connection');
    return c;
  };
  /** Empties the WAL; then the frames the writes after it added. */
  const walFrames = (mode: 'TRUNCATE' | 'PASSIVE'): number => (conn().prepare(`PRAGMA wal_checkpoint(${mode})`).get() as { log: number }).log;
  const event = (entity: string): Promise<void> => recordEvent(suite.db.manager, { authorId: null, domain: 'session', action: 'connect', entity });
  const session = (addr: string): Promise<unknown> => sqlOf(suite.db.manager).write('INSERT INTO sessions (status, node, remote_addr) VALUES (?, ?, ?)', ['active', 'n1', addr]);

  it('20 writes of one turn write a fraction of the WAL frames of 20 writes one after the other, and all land in order', async () => {
    walFrames('TRUNCATE');
    for (let i = 0; i < 10; i++) { await event(`one-by-one-${i}`); await session(`10.0.0.1:${i}`); }
    const separate = walFrames('PASSIVE');
    walFrames('TRUNCATE');
    await Promise.all(Array.from({ length: 10 }, (_, i) => [event(`grouped-${i}`), session(`10.0.0.2:${i}`)]).flat());
    const grouped = walFrames('PASSIVE');
    expect(grouped, `WAL frames: ${grouped} grouped, ${separate} one by one`).to.be.below(separate / 4);
    const events = await suite.db.manager.find(Event, { where: { action: 'connect' }, order: { seq: 'ASC' } });
    const names = events.map((e) => e.entity);
    expect(names.filter((n) => n.startsWith('grouped-'))).to.deep.equal(Array.from({ length: 10 }, (_, i) => `grouped-${i}`));
    expect(events.map((e) => e.seq)).to.deep.equal(events.map((_, i) => (events[0]?.seq ?? 0) + i));
    expect(await suite.db.manager.countBy(Session, { node: 'n1' })).to.equal(20);
  });

  it('a write that fails (a taken id) fails alone; the writes of its turn are committed', async () => {
    const taken = (await sqlOf(suite.db.manager).write('INSERT INTO sessions (status, node, remote_addr) VALUES (?, ?, ?)', ['active', 'n2', 'a'])).insertId;
    const results = await Promise.allSettled([
      event('before-the-failure'),
      sqlOf(suite.db.manager).write('INSERT INTO sessions (id, status, node, remote_addr) VALUES (?, ?, ?, ?)', [taken, 'active', 'n2', 'b']),
      session('after-the-failure'),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).to.match(/UNIQUE constraint failed/);
    expect(conn().inTransaction).to.equal(false);
    expect(await suite.db.manager.countBy(Event, { entity: 'before-the-failure' })).to.equal(1);
    expect(await suite.db.manager.countBy(Session, { remoteAddr: 'after-the-failure' })).to.equal(1);
  });
});

describe('db: group commit around admin transactions and a full disk (sqlite3)', () => {
  const suite = suiteDatabase('sqlite3');

  it('an event recorded in the turn an admin transaction begins lands before it, and survives its rollback', async () => {
    const recorded = recordEvent(suite.db.manager, { authorId: null, domain: 'session', action: 'connect', entity: 'before-the-command' });
    const seenInside = await suite.db.transaction(async (m) => {
      const n = await m.countBy(Event, { entity: 'before-the-command' });
      throw Object.assign(new Error('the command failed'), { n });
    }).catch((err: unknown) => (err as { n?: number }).n);
    await recorded;
    expect(seenInside, 'committed before the transaction began').to.equal(1);
    expect(await suite.db.manager.countBy(Event, { entity: 'before-the-command' })).to.equal(1);
  });

  /** The chained events' entities in chain order. */
  const chainOrder = async (prefix: string): Promise<string[]> => (await suite.db.manager.find(Event, { order: { seq: 'ASC' } }))
    .map((e) => e.entity).filter((n) => n.startsWith(prefix));
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('with an admin transaction open, an event and then a second transaction asked for in one turn keep that order', async () => {
    const t1 = suite.db.transaction(async (m) => { await event({ db: { manager: m } }, 'o1-T1'); await sleep(50); });
    await sleep(10);
    const a = event(suite, 'o1-A-outside-first');
    const t2 = suite.db.transaction(async (m) => { await event({ db: { manager: m } }, 'o1-B-in-T2-second'); });
    await Promise.all([t1, a, t2]);
    expect(await chainOrder('o1-')).to.deep.equal(['o1-T1', 'o1-A-outside-first', 'o1-B-in-T2-second']);
  });

  it('an event waiting for its turn behind admin transactions is not passed by a later one', async () => {
    let b: Promise<void> | undefined;
    const t1 = suite.db.transaction(async (m) => {
      await event({ db: { manager: m } }, 'o2-T1');
      setTimeout(() => { b = event(suite, 'o2-D-outside-last'); }, 40);
      await sleep(40);
    });
    await sleep(5);
    const t2 = suite.db.transaction(async (m) => { await event({ db: { manager: m } }, 'o2-B-T2'); });
    await sleep(5);
    const c = event(suite, 'o2-C-outside');
    await Promise.all([t1, t2, c]);
    await b;
    expect(await chainOrder('o2-')).to.deep.equal(['o2-T1', 'o2-B-T2', 'o2-C-outside', 'o2-D-outside-last']);
  });

  it('a write that fills the disk fails alone: the writes of its turn before and after it land', async () => {
    const conn = sqliteConnection(suite.db.manager.dataSource) as unknown as { pragma(p: string, o?: { simple: boolean }): unknown };
    const pages = Number(conn.pragma('page_count', { simple: true }));
    conn.pragma(`max_page_count = ${String(pages + 2)}`);
    try {
      const results = await Promise.allSettled([
        event(suite, 'before-the-full-disk'),
        sqlOf(suite.db.manager).write('INSERT INTO sessions (status, node, remote_addr, err_msg) VALUES (?, ?, ?, ?)', ['active', 'n3', 'big', 'x'.repeat(50_000)]),
        event(suite, 'after-the-full-disk'),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((results[1] as PromiseRejectedResult).reason)).to.match(/full/i);
    } finally {
      conn.pragma('max_page_count = 1073741823');
    }
    expect(await suite.db.manager.countBy(Event, [{ entity: 'before-the-full-disk' }, { entity: 'after-the-full-disk' }])).to.equal(2);
  });
});

function event(suite: { db: { manager: import('typeorm').EntityManager } }, entity: string): Promise<void> {
  return recordEvent(suite.db.manager, { authorId: null, domain: 'session', action: 'connect', entity });
}

describe('db: closing the database commits the writes of the turn it closes in, and those waiting for a transaction (sqlite3)', () => {
  it('an event waiting for an admin transaction when the database closes lands after it', async () => {
    const dir = tempDir();
    try {
      const config = { driver: 'sqlite3' as const, path: `${dir.path}/sshportal.db` };
      const db = await openDatabase(config, null);
      const command = db.transaction(async (m) => {
        await recordEvent(m, { authorId: null, domain: 'hostgroup', action: 'create', entity: 'the-command' });
        await new Promise((r) => setTimeout(r, 100));
      });
      await new Promise((r) => setTimeout(r, 10));
      const waiting = recordEvent(db.manager, { authorId: null, domain: 'session', action: 'close', entity: 'waited-for-the-command' });
      await db.close();
      await command;
      await waiting;
      const again = await openDatabase(config, null);
      try {
        expect((await again.manager.find(Event, { order: { seq: 'ASC' } })).map((e) => e.entity).filter((n) => n === 'the-command' || n === 'waited-for-the-command'))
          .to.deep.equal(['the-command', 'waited-for-the-command']);
      } finally {
        await again.close();
      }
    } finally {
      dir.remove();
    }
  });

  it('an event recorded without waiting, right before close, is in the file', async () => {
    const dir = tempDir();
    try {
      const config = { driver: 'sqlite3' as const, path: `${dir.path}/sshportal.db` };
      const db = await openDatabase(config, null);
      const queued = recordEvent(db.manager, { authorId: null, domain: 'session', action: 'close', entity: 'last-words' });
      await db.close();
      await queued;
      const again = await openDatabase(config, null);
      try {
        expect(await again.manager.countBy(Event, { entity: 'last-words' })).to.equal(1);
      } finally {
        await again.close();
      }
    } finally {
      dir.remove();
    }
  });
});
