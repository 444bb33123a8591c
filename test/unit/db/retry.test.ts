import { expect } from 'chai';
import { QueryFailedError } from 'typeorm';
import { isRetryableDbError, retryDelay, withDbRetry } from '../../../lib/db/retry.js';

/** A driver error as mysql2 or better-sqlite3 raise it. */
const driverError = (props: Record<string, unknown>): Error => Object.assign(new Error('driver'), props);

describe('db: isRetryableDbError', () => {
  const cases: { name: string; err: unknown; retry: boolean }[] = [
    { name: 'MySQL deadlock by code', err: driverError({ code: 'ER_LOCK_DEADLOCK', errno: 1213 }), retry: true },
    { name: 'MySQL deadlock by errno only', err: driverError({ errno: 1213 }), retry: true },
    { name: 'MySQL lock wait timeout', err: driverError({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 }), retry: true },
    { name: 'SQLite busy', err: driverError({ code: 'SQLITE_BUSY' }), retry: true },
    { name: 'SQLite busy snapshot', err: driverError({ code: 'SQLITE_BUSY_SNAPSHOT' }), retry: true },
    { name: 'typeorm QueryFailedError around a deadlock', err: new QueryFailedError('UPDATE x', [], driverError({ code: 'ER_LOCK_DEADLOCK', errno: 1213 })), retry: true },
    { name: 'a wrapper holding the driver error', err: { driverError: driverError({ errno: 1205 }) }, retry: true },
    { name: 'duplicate entry', err: driverError({ code: 'ER_DUP_ENTRY', errno: 1062 }), retry: false },
    { name: 'SQLite constraint', err: driverError({ code: 'SQLITE_CONSTRAINT_UNIQUE' }), retry: false },
    { name: 'connection lost (not a lock problem)', err: driverError({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }), retry: false },
    { name: 'a plain Error', err: new Error('boom'), retry: false },
    { name: 'null', err: null, retry: false },
    { name: 'a string', err: 'ER_LOCK_DEADLOCK', retry: false },
    { name: 'a self-referencing driverError', err: (() => { const e: Record<string, unknown> = {}; e.driverError = e; return e; })(), retry: false },
  ];
  for (const c of cases) it(`${c.retry ? 'retries' : 'does not retry'} ${c.name}`, () => expect(isRetryableDbError(c.err)).to.equal(c.retry));
});

describe('db: retryDelay', () => {
  const cases = [
    { attempt: 1, random: 0, ms: 10 }, { attempt: 1, random: 1, ms: 20 },
    { attempt: 3, random: 0, ms: 40 }, { attempt: 3, random: 1, ms: 80 },
  ];
  for (const c of cases) it(`attempt ${c.attempt}, random ${c.random} → ${c.ms} ms`, () => expect(retryDelay(c.attempt, 20, () => c.random)).to.equal(c.ms));
});

describe('db: withDbRetry', () => {
  const deadlock = driverError({ code: 'ER_LOCK_DEADLOCK', errno: 1213 });
  const noSleep = (): Promise<void> => Promise.resolve();

  it('runs the transaction again after a deadlock and returns its result', async () => {
    let calls = 0;
    const retries: number[] = [];
    const out = await withDbRetry(() => (++calls < 3 ? Promise.reject(deadlock) : Promise.resolve('done')), { sleep: noSleep, onRetry: (_e, n) => retries.push(n) });
    expect([out, calls, retries]).to.deep.equal(['done', 3, [1, 2]]);
  });

  it('gives up after the last attempt with the last error', async () => {
    let calls = 0;
    const err = await withDbRetry(() => { calls++; return Promise.reject(deadlock); }, { attempts: 4, sleep: noSleep }).catch((e: unknown) => e);
    expect([err, calls]).to.deep.equal([deadlock, 4]);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    const boom = new Error('boom');
    const err = await withDbRetry(() => { calls++; return Promise.reject(boom); }, { sleep: noSleep }).catch((e: unknown) => e);
    expect([err, calls]).to.deep.equal([boom, 1]);
  });

  it('waits between attempts, longer each time', async () => {
    const waits: number[] = [];
    let calls = 0;
    await withDbRetry(() => (++calls < 4 ? Promise.reject(deadlock) : Promise.resolve()), { sleep: (ms) => { waits.push(ms); return Promise.resolve(); }, baseDelayMs: 100 });
    expect(waits).to.have.length(3);
    expect(waits[0]).to.be.within(50, 100);
    expect(waits[2]).to.be.within(200, 400);
  });
});
