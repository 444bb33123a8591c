/**
 * Deadlines for MySQL/MariaDB. A server that accepts connections and never
 * answers (frozen, partitioned, swapping) would otherwise hold every login and
 * admin command forever: mysql2 has no per-query deadline that frees the
 * connection, and its pool waits without limit for a free connection. Here
 * each acquisition and each query of the data source gets `timeoutMs`; a query
 * past it destroys its connection (the pool opens a fresh one later) and fails
 * with {@link DbTimeoutError}, which the portal reports as "database unavailable".
 */
import type { DataSource } from 'typeorm';

/** A query or a connection acquisition took longer than `--db-timeout`. */
export class DbTimeoutError extends Error {
  /** Matched by `isConnectionError`, so callers see DatabaseUnavailableError. */
  readonly code = 'DB_TIMEOUT';
  readonly fatal = true;
  constructor(what: 'query' | 'connection', timeoutMs: number) {
    super(`database ${what} timed out after ${timeoutMs} ms`);
    this.name = 'DbTimeoutError';
  }
}

type Callback = (err: unknown, ...rest: unknown[]) => void;

/** Told each time a deadline fires (the operator's log line). */
export type TimeoutListener = (what: 'query' | 'connection') => void;

/** The part of a mysql2 pool connection (callback API) the deadline needs. */
interface RawConnection {
  query(...args: unknown[]): unknown;
  destroy(): void;
  release(): void;
  stream?: { destroy?: () => void };
}

/** The part of typeorm's MysqlDriver the deadline wraps. */
interface MysqlDriverLike {
  obtainMasterConnection(): Promise<RawConnection>;
}

const guarded = Symbol('sshportal.deadline');

/**
 * A `GET_LOCK(name, seconds)` waits by design (a node migrating holds it) and
 * is bounded by its own argument: it gets no deadline.
 */
function exempt(sql: unknown): boolean {
  const text = typeof sql === 'string' ? sql : (sql as { sql?: unknown } | null)?.sql;
  return typeof text === 'string' && /^\s*SELECT\s+GET_LOCK\(/i.test(text);
}

/** Kills a connection for good: out of the pool, socket closed now (not after a FIN the server may never answer). */
function kill(conn: RawConnection): void {
  try {
    conn.destroy();
    conn.stream?.destroy?.();
  } catch {
    // already gone
  }
}

/**
 * InnoDB's row-lock wait, in whole seconds, kept under the deadline: a query
 * queued behind another transaction's lock then fails with a retryable
 * ER_LOCK_WAIT_TIMEOUT (and its transaction runs again) instead of having its
 * connection killed as if the server were gone.
 */
export function lockWaitSeconds(timeoutMs: number): number {
  return Math.max(1, Math.floor(timeoutMs / 2_000));
}

/**
 * Wraps `conn.query` once: each callback-style query gets a timer. A new
 * connection first gets its lock wait; commands run in order on a connection,
 * so nothing needs to wait for it.
 */
function guardConnection(conn: RawConnection, timeoutMs: number, onTimeout: TimeoutListener): RawConnection {
  const tagged = conn as RawConnection & { [guarded]?: true };
  if (tagged[guarded]) return conn;
  tagged[guarded] = true;
  const original = conn.query.bind(conn);
  original(`SET SESSION innodb_lock_wait_timeout = ${lockWaitSeconds(timeoutMs)}`, () => undefined);
  conn.query = (...args: unknown[]): unknown => {
    const cbIndex = args.findIndex((a) => typeof a === 'function');
    if (cbIndex < 0 || exempt(args[0])) return original(...args);
    const cb = args[cbIndex] as Callback;
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      // The server may still be working on it: this connection can never be trusted again.
      kill(conn);
      onTimeout('query');
      cb(new DbTimeoutError('query', timeoutMs));
    }, timeoutMs);
    const wrapped: Callback = (err, ...rest) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cb(err, ...rest);
    };
    const next = [...args];
    next[cbIndex] = wrapped;
    return original(...next);
  };
  return conn;
}

/** Acquires a pool connection within `timeoutMs`; one that arrives too late goes straight back. */
function acquireWithin(obtain: () => Promise<RawConnection>, timeoutMs: number, onTimeout: TimeoutListener): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      onTimeout('connection');
      reject(new DbTimeoutError('connection', timeoutMs));
    }, timeoutMs);
    const pending = obtain();
    pending.then((conn) => {
      if (late) return conn.release();
      clearTimeout(timer);
      resolve(conn);
    }, () => {
      if (late) return;
      clearTimeout(timer);
      // Adopting the rejected promise passes the driver's own error on, unchanged.
      resolve(pending);
    });
  });
}

/**
 * Gives every connection acquisition and every query of a MySQL data source a
 * deadline of `timeoutMs`. Call after start-up work (migrations may run long
 * DDL); SQLite needs none (its calls are synchronous; its busy timeout bounds lock waits).
 */
export function installMysqlDeadlines(ds: DataSource, timeoutMs: number, onTimeout: TimeoutListener = () => undefined): void {
  const driver = ds.driver as unknown as MysqlDriverLike;
  const obtain = driver.obtainMasterConnection.bind(driver);
  driver.obtainMasterConnection = async () => guardConnection(await acquireWithin(obtain, timeoutMs, onTimeout), timeoutMs, onTimeout);
}
