import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { DbTimeoutError, installMysqlDeadlines, lockWaitSeconds } from '../../../lib/db/deadline.js';
import { asDatabaseError } from '../../../lib/db/database.js';
import { DatabaseUnavailableError } from '../../../lib/errors.js';

type Cb = (err: unknown, rows?: unknown) => void;

/** A stand-in for a mysql2 pool connection whose server answers after `answerMs` (or never). */
class FakeConnection {
  destroyed = false;
  released = 0;
  readonly sent: unknown[] = [];
  constructor(private readonly answerMs: number | null) {}
  query(sql: unknown, a: unknown, b?: unknown): void {
    const [values, cb] = typeof a === 'function' ? [undefined, a as Cb] : [a, b as Cb];
    this.sent.push(sql);
    if (this.answerMs !== null) setTimeout(() => cb(null, [{ sql, values }]), this.answerMs);
  }
  destroy(): void { this.destroyed = true; }
  release(): void { this.released++; }
}

function fakeDataSource(obtain: () => Promise<FakeConnection>): { ds: DataSource; driver: { obtainMasterConnection(): Promise<FakeConnection> } } {
  const driver = { obtainMasterConnection: obtain };
  return { ds: { driver } as unknown as DataSource, driver };
}

const query = (conn: FakeConnection, sql: string): Promise<unknown> =>
  new Promise((resolve, reject) => conn.query(sql, [], (err: Error | null, rows?: unknown) => (err ? reject(err) : resolve(rows))));

describe('db: MySQL deadlines', () => {
  it('passes a query that answers in time', async () => {
    const { ds, driver } = fakeDataSource(() => Promise.resolve(new FakeConnection(5)));
    installMysqlDeadlines(ds, 200);
    const conn = await driver.obtainMasterConnection();
    expect(await query(conn, 'SELECT 1')).to.deep.equal([{ sql: 'SELECT 1', values: [] }]);
    expect(conn.destroyed).to.equal(false);
    // A new connection first gets a row-lock wait shorter than the deadline.
    expect(conn.sent).to.deep.equal(['SET SESSION innodb_lock_wait_timeout = 1', 'SELECT 1']);
  });

  const lockWaits = [{ ms: 100, s: 1 }, { ms: 2_000, s: 1 }, { ms: 5_000, s: 2 }, { ms: 60_000, s: 30 }];
  for (const c of lockWaits) it(`waits ${c.s} s for a row lock with a ${c.ms} ms deadline`, () => expect(lockWaitSeconds(c.ms)).to.equal(c.s));

  it('fails a query that hangs with DbTimeoutError and destroys its connection', async () => {
    const { ds, driver } = fakeDataSource(() => Promise.resolve(new FakeConnection(null)));
    const told: string[] = [];
    installMysqlDeadlines(ds, 50, (what) => told.push(what));
    const conn = await driver.obtainMasterConnection();
    const err = await query(conn, 'SELECT 1').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DbTimeoutError);
    expect(conn.destroyed).to.equal(true);
    expect(told).to.deep.equal(['query']);
    expect(asDatabaseError(err)).to.be.instanceOf(DatabaseUnavailableError);
  });

  it('ignores an answer that arrives after the deadline', async () => {
    const { ds, driver } = fakeDataSource(() => Promise.resolve(new FakeConnection(120)));
    installMysqlDeadlines(ds, 30);
    const conn = await driver.obtainMasterConnection();
    let calls = 0;
    await new Promise<void>((resolve) => conn.query('SELECT 1', [], () => { calls++; setTimeout(resolve, 150); }));
    expect(calls).to.equal(1);
  });

  it('lets GET_LOCK wait: it is bounded by its own timeout argument', async () => {
    const { ds, driver } = fakeDataSource(() => Promise.resolve(new FakeConnection(80)));
    installMysqlDeadlines(ds, 20);
    const conn = await driver.obtainMasterConnection();
    expect(await query(conn, 'SELECT GET_LOCK(?, 120) AS ok')).to.have.length(1);
    expect(conn.destroyed).to.equal(false);
  });

  it('fails a connection wait past the deadline and hands a late connection back to the pool', async () => {
    const late = new FakeConnection(1);
    const { ds, driver } = fakeDataSource(() => new Promise((r) => setTimeout(() => r(late), 100)));
    const told: string[] = [];
    installMysqlDeadlines(ds, 20, (what) => told.push(what));
    const err = await driver.obtainMasterConnection().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DbTimeoutError);
    expect(told).to.deep.equal(['connection']);
    await new Promise((r) => setTimeout(r, 150));
    expect(late.released).to.equal(1);
  });

  it('wraps a reused connection once', async () => {
    const conn = new FakeConnection(1);
    const { ds, driver } = fakeDataSource(() => Promise.resolve(conn));
    installMysqlDeadlines(ds, 100);
    const first = await driver.obtainMasterConnection();
    const second = await driver.obtainMasterConnection();
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compares the wrapper's identity; it is never called unbound
    expect(second.query).to.equal(first.query);
  });
});
