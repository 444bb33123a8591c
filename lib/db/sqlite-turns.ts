/**
 * Writes made outside any transaction keep out of other callers' open
 * transactions on SQLite. better-sqlite3 is one connection: while an admin
 * command's transaction awaits between its statements, a statement the
 * bastion runs on the same connection (an audit event, a session row) runs
 * inside that transaction and rolls back with it — measured: an event written
 * while a failing command's transaction was open was gone afterwards. Such a
 * write now waits until no transaction is open, then runs at once
 * (synchronously: nothing can start a transaction between the check and the
 * write). MySQL gives every transaction its own connection; nothing to do.
 */
import type { DataSource } from 'typeorm';
import type { SerialQueue } from './serial.js';
import type { SqliteConnection } from './sqlite-connection.js';
import { groupCommit } from './sqlite-group-commit.js';

/** The queue the portal's SQLite transactions take turns in, by data source (database.ts registers it). */
const turns = new WeakMap<DataSource, SerialQueue>();

/** Registers the queue of `ds`'s transactions: a waiting write takes a turn between two of them. */
export function setSqliteTurns(ds: DataSource, queue: SerialQueue): void {
  turns.set(ds, queue);
}

/** How long a write waits between two looks at a transaction opened outside the queue (migrations, say). */
const recheckMs = 2;

/**
 * Past this wait the write runs anyway, inside whatever transaction is open
 * (as every write did before): code that awaits a write on the plain manager
 * from inside its own transaction would otherwise wait for itself forever.
 */
export const maxWaitMs = 5_000;

/** What one try gave: the write's result, or nothing when a transaction was still open (or the write already ran). */
type Try<T> = { done: true; value: T } | { done: false };

/** Resolves `{ done: false }` after `ms` (a timer that does not hold the process open). */
function giveUpAfter<T>(ms: number): { promise: Promise<Try<T>>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<Try<T>>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), Math.max(0, ms));
    timer.unref();
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Runs `write` (synchronous, on `conn`) at the end of this turn of the event
 * loop, in one commit with the other writes made outside transactions in it
 * (sqlite-group-commit.ts), if no transaction is open on the connection by
 * then; else as {@link waitOutside} does. Runs it exactly once. Its result,
 * or its throw, as a promise.
 */
export function outsideTransactions<T>(ds: DataSource, conn: SqliteConnection, write: () => T): Promise<T> {
  return groupCommit(conn, write, (w) => waitOutside(ds, conn, w));
}

/**
 * Runs `write` (synchronous, on `conn`) in a turn of the transaction queue,
 * after what is queued before it (between two of the portal's transactions,
 * so a steady stream of them cannot starve it), once no transaction is open;
 * for a transaction opened outside the queue, after it; after
 * {@link maxWaitMs}, at once. Runs it exactly once. Its result, or its throw,
 * as a promise.
 */
async function waitOutside<T>(ds: DataSource, conn: Pick<SqliteConnection, 'inTransaction'>, write: () => T): Promise<T> {
  const queue = turns.get(ds);
  const since = performance.now();
  let ran = false;
  // The check and the write are one synchronous step: nothing can open a transaction in between.
  const attempt = (): Try<T | Promise<T>> => {
    if (ran || conn.inTransaction) return { done: false };
    ran = true;
    return { done: true, value: write() };
  };
  // The first try is the queue's turn: a write must not pass the writes and transactions queued before it.
  for (let first = true; ; first = false) {
    if (!first || !queue) {
      const now = attempt();
      if (now.done) return now.value;
    }
    const left = maxWaitMs - (performance.now() - since);
    if (left <= 0) {
      ran = true;
      return write();
    }
    if (queue) {
      const timeout = giveUpAfter<T | Promise<T>>(left);
      const turn = await Promise.race([queue(() => Promise.resolve(attempt())), timeout.promise]);
      timeout.cancel();
      if (turn.done) return turn.value;
    }
    if (conn.inTransaction) await new Promise((r) => setTimeout(r, recheckMs));
  }
}
