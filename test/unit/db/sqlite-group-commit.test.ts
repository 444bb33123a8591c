/**
 * The group commit of writes made outside transactions, on a recording
 * stand-in for better-sqlite3's connection: which statements run in which
 * order, and what each caller gets. The real database: test/db/group-commit.test.ts.
 */
import { expect } from 'chai';
import { commitNow, groupCommit } from '../../../lib/db/sqlite-group-commit.js';
import type { SqliteConnection } from '../../../lib/db/sqlite-connection.js';

/** What a stand-in connection does when asked: `fail` names a control statement that throws. */
class FakeConnection implements SqliteConnection {
  inTransaction = false;
  readonly log: string[] = [];
  /** A control statement that throws (with `failCode`); `failEnds`: its throw ends the transaction. */
  fail: string | undefined;
  failCode: string | undefined;
  failEnds = false;

  prepare(sql: string): { run(): { changes: number; lastInsertRowid: number }; get(): undefined; all(): [] } {
    return {
      run: () => {
        if (this.fail === sql) {
          if (this.failEnds) this.inTransaction = false;
          throw Object.assign(new Error(`${sql} failed`), { code: this.failCode });
        }
        this.log.push(sql);
        if (sql === 'BEGIN IMMEDIATE') this.inTransaction = true;
        if (sql === 'COMMIT' || sql === 'ROLLBACK') this.inTransaction = false;
        return { changes: 0, lastInsertRowid: 0 };
      },
      get: () => undefined,
      all: () => [],
    };
  }

  transaction(): never { throw new Error('not used'); }

  /** A write that logs its name, and what it returns. */
  write(name: string): () => string {
    return () => { this.log.push(name); return `${name} done`; };
  }
}

type Settled = { ok: true; value: unknown } | { ok: false; error: string };
const settled = (p: Promise<unknown>): Promise<Settled> => p.then((value) => ({ ok: true as const, value }), (e: unknown) => ({ ok: false as const, error: (e as Error).message }));
const busyPath = (log: string[]) => <T>(w: () => T): Promise<T> => { log.push('waited'); return Promise.resolve(w()); };

describe('db: SQLite group commit', () => {
  it('writes queued in one turn run in one transaction, in order, each answered with its own result', async () => {
    const c = new FakeConnection();
    const results = ['a', 'b', 'c'].map((n) => settled(groupCommit(c, c.write(n), busyPath(c.log))));
    expect(c.log, 'nothing runs before the end of the turn').to.deep.equal([]);
    expect(await Promise.all(results)).to.deep.equal(['a', 'b', 'c'].map((n) => ({ ok: true, value: `${n} done` })));
    expect(c.log).to.deep.equal(['BEGIN IMMEDIATE', 'a', 'b', 'c', 'COMMIT']);
  });

  it('a lone write runs as its own statement (no transaction around it); two turns make two groups', async () => {
    const c = new FakeConnection();
    expect(await groupCommit(c, c.write('a'), busyPath(c.log))).to.equal('a done');
    await Promise.all([groupCommit(c, c.write('b'), busyPath(c.log)), groupCommit(c, c.write('c'), busyPath(c.log))]);
    expect(c.log).to.deep.equal(['a', 'BEGIN IMMEDIATE', 'b', 'c', 'COMMIT']);
  });

  it('a write that throws fails alone; the others commit', async () => {
    const c = new FakeConnection();
    const bad = (): never => { throw new Error('UNIQUE constraint failed'); };
    const r = await Promise.all([settled(groupCommit(c, c.write('a'), busyPath(c.log))), settled(groupCommit(c, bad, busyPath(c.log))), settled(groupCommit(c, c.write('b'), busyPath(c.log)))]);
    expect(r).to.deep.equal([{ ok: true, value: 'a done' }, { ok: false, error: 'UNIQUE constraint failed' }, { ok: true, value: 'b done' }]);
    expect(c.log).to.deep.equal(['BEGIN IMMEDIATE', 'a', 'b', 'COMMIT']);
  });

  it('an error that ends the transaction fails only its own write: the writes it undid run again alone, then the rest', async () => {
    const c = new FakeConnection();
    const full = (): never => { c.inTransaction = false; throw new Error('database or disk is full'); };
    const r = await Promise.all([settled(groupCommit(c, c.write('a'), busyPath(c.log))), settled(groupCommit(c, full, busyPath(c.log))), settled(groupCommit(c, c.write('b'), busyPath(c.log)))]);
    expect(r).to.deep.equal([{ ok: true, value: 'a done' }, { ok: false, error: 'database or disk is full' }, { ok: true, value: 'b done' }]);
    expect(c.log, 'a ran in the lost transaction, then alone').to.deep.equal(['BEGIN IMMEDIATE', 'a', 'a', 'b']);
  });

  it('a write that ends the transaction itself answers its own caller; the writes before it fail, unknown, and the rest run alone', async () => {
    const c = new FakeConnection();
    const ender = (): string => { c.inTransaction = false; return 'ended'; };
    const r = await Promise.all([settled(groupCommit(c, c.write('a'), busyPath(c.log))), settled(groupCommit(c, ender, busyPath(c.log))), settled(groupCommit(c, c.write('b'), busyPath(c.log)))]);
    expect(r).to.deep.equal([{ ok: false, error: 'the write transaction ended before its commit' }, { ok: true, value: 'ended' }, { ok: true, value: 'b done' }]);
    expect(c.log).to.deep.equal(['BEGIN IMMEDIATE', 'a', 'b']);
  });

  it('a COMMIT that fails with the transaction still open is rolled back, and every write runs again alone', async () => {
    const c = new FakeConnection();
    c.fail = 'COMMIT';
    const r = await Promise.all(['a', 'b'].map((n) => settled(groupCommit(c, c.write(n), busyPath(c.log)))));
    expect(r).to.deep.equal([{ ok: true, value: 'a done' }, { ok: true, value: 'b done' }]);
    expect(c.log).to.deep.equal(['BEGIN IMMEDIATE', 'a', 'b', 'ROLLBACK', 'a', 'b']);
    expect(c.inTransaction).to.equal(false);
  });

  it('a COMMIT that fails after ending the transaction (written or not: unknown) fails every write with its error', async () => {
    const c = new FakeConnection();
    c.fail = 'COMMIT';
    c.failEnds = true;
    const r = await Promise.all(['a', 'b'].map((n) => settled(groupCommit(c, c.write(n), busyPath(c.log)))));
    expect(r).to.deep.equal([{ ok: false, error: 'COMMIT failed' }, { ok: false, error: 'COMMIT failed' }]);
    expect(c.log).to.deep.equal(['BEGIN IMMEDIATE', 'a', 'b']);
  });

  for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_RECOVERY', 'SQLITE_LOCKED']) {
    it(`when BEGIN finds the database locked past its busy timeout (${code}), every write fails at once with that error`, async () => {
      const c = new FakeConnection();
      c.fail = 'BEGIN IMMEDIATE';
      c.failCode = code;
      const r = await Promise.all(['a', 'b'].map((n) => settled(groupCommit(c, c.write(n), busyPath(c.log)))));
      expect(r).to.deep.equal([{ ok: false, error: 'BEGIN IMMEDIATE failed' }, { ok: false, error: 'BEGIN IMMEDIATE failed' }]);
      expect(c.log).to.deep.equal([]);
    });
  }

  it('when BEGIN fails otherwise, each write runs alone', async () => {
    const c = new FakeConnection();
    c.fail = 'BEGIN IMMEDIATE';
    expect(await Promise.all(['a', 'b'].map((n) => groupCommit(c, c.write(n), busyPath(c.log))))).to.deep.equal(['a done', 'b done']);
    expect(c.log).to.deep.equal(['a', 'b']);
  });

  it('when a transaction is open at the end of the turn, every write takes the caller\'s busy path, in order', async () => {
    const c = new FakeConnection();
    const results = Promise.all(['a', 'b'].map((n) => groupCommit(c, c.write(n), busyPath(c.log))));
    c.inTransaction = true;
    expect(await results).to.deep.equal(['a done', 'b done']);
    expect(c.log).to.deep.equal(['waited', 'a', 'waited', 'b']);
  });

  it('while writes of an earlier group wait for their turn, a later group waits behind them, even with no transaction open', async () => {
    const c = new FakeConnection();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    const queued: string[] = [];
    const slowPath = <T>(w: () => T): Promise<T> => { queued.push('waited'); return gate.then(() => w()); };
    const first = groupCommit(c, c.write('a'), slowPath);
    c.inTransaction = true;
    await new Promise((r) => setImmediate(r));
    c.inTransaction = false;
    const second = Promise.all([groupCommit(c, c.write('b'), slowPath), groupCommit(c, c.write('c'), slowPath)]);
    await new Promise((r) => setImmediate(r));
    expect(queued, 'b and c queued behind a, not committed past it').to.deep.equal(['waited', 'waited', 'waited']);
    release();
    await Promise.all([first, second]);
    expect(c.log).to.deep.equal(['a', 'b', 'c']);
  });

  it('commitNow commits the turn\'s writes at once (the database closes next), and only once', async () => {
    const c = new FakeConnection();
    const results = Promise.all(['a', 'b'].map((n) => groupCommit(c, c.write(n), busyPath(c.log))));
    commitNow(c);
    expect(c.log).to.deep.equal(['BEGIN IMMEDIATE', 'a', 'b', 'COMMIT']);
    expect(await results).to.deep.equal(['a done', 'b done']);
    await new Promise((r) => setImmediate(r));
    expect(c.log).to.have.length(4);
  });
});
