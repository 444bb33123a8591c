import type { DataSource, EntityManager } from 'typeorm';
import type { DbConfig } from '../config/server-config.js';
import { createFieldCipher, type FieldCipher } from '../crypto/field-cipher.js';
import { DatabaseTlsError, DatabaseUnavailableError } from '../errors.js';
import { createDataSource, defaultDbTimeoutMs, isMariaDb, withClusterLock } from './data-source.js';
import { installMysqlDeadlines, type TimeoutListener } from './deadline.js';
import { withDbRetry } from './retry.js';
import { serialQueue } from './serial.js';
import { setSqliteTurns } from './sqlite-turns.js';
import { sqliteConnection } from './sqlite-connection.js';
import { commitNow } from './sqlite-group-commit.js';

/**
 * A transaction, or the manager for reads outside one: what the queries of
 * `lib/db` take. Code outside `lib/db` only passes it on; naming it here keeps
 * typeorm out of its imports.
 */
export type Tx = EntityManager;

/** The portal's handle on its database: the data source, the secrets cipher and transactions. */
export interface Database {
  readonly driver: DbConfig['driver'];
  readonly ds: DataSource;
  readonly cipher: FieldCipher;
  /**
   * Runs `fn` in one transaction: all of it is written, or none. A transaction
   * aborted by a deadlock, a lock wait timeout or SQLITE_BUSY runs again (so
   * `fn` must not act outside the database before it returns).
   */
  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T>;
  /** The manager for reads outside a transaction. */
  readonly manager: EntityManager;
  close(): Promise<void>;
}

/**
 * Errors a driver raises when the server cannot be reached or went away
 * (typeorm's QueryFailedError copies the driver's `code` and `fatal`).
 */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; fatal?: unknown } | null;
  if (e?.fatal === true) return true;
  const code = e?.code;
  return typeof code === 'string' &&
    /^(DB_TIMEOUT|ECONNREFUSED|ECONNRESET|ECONNABORTED|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|PROTOCOL_CONNECTION_LOST|PROTOCOL_SEQUENCE_TIMEOUT|ER_SERVER_SHUTDOWN|ER_CON_COUNT_ERROR)$/.test(code);
}

/**
 * Why a connection that asked for TLS failed because of TLS, in words for the
 * operator, or null: the server offers no TLS (mysql2's HANDSHAKE_NO_SSL_SUPPORT),
 * or its certificate was refused (Node's verification codes). Pure.
 */
export function tlsFailure(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') return 'the database server does not offer TLS, which --db-conn asks for (tls=true or tls=skip-verify)';
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/.test(code)) return `the database server's TLS certificate was refused (${code}): fix it, or use tls=skip-verify`;
  return null;
}

/** Turns a "database unreachable" driver error into {@link DatabaseUnavailableError}; other values pass through. */
export function asDatabaseError(err: unknown): unknown {
  if (err instanceof DatabaseUnavailableError || !isConnectionError(err)) return err;
  return new DatabaseUnavailableError({ cause: err });
}

/** Options of {@link openDatabase}. */
export interface OpenOptions {
  /** `--db-timeout`: the longest a query or a connection acquisition may take (default 5 s). */
  timeoutMs?: number;
  /** Told each time a query or a connection wait passes the deadline (for a log line). */
  onTimeout?: TimeoutListener;
}

/**
 * Connects, runs pending migrations under a cluster-wide lock and returns the handle.
 * `aesKey` null stores secrets in clear. Queries get their deadline only once
 * migrations are done: a migration may legitimately run long.
 */
export async function openDatabase(config: DbConfig, aesKey: string | null, opts: OpenOptions = {}): Promise<Database> {
  const timeoutMs = opts.timeoutMs ?? defaultDbTimeoutMs;
  let ds: DataSource;
  try {
    ds = createDataSource(config, config.driver === 'mysql' ? await isMariaDb(config.conn, timeoutMs) : false, timeoutMs);
    await ds.initialize();
  } catch (err) {
    const tls = config.driver === 'mysql' && config.conn.tls !== 'off' ? tlsFailure(err) : null;
    if (tls !== null) throw new DatabaseTlsError(tls, { cause: err });
    if (isConnectionError(err)) throw new DatabaseUnavailableError({ cause: err });
    throw err;
  }
  try {
    await withClusterLock(ds, 'sshportal_migrations', () => ds.runMigrations({ transaction: 'each' }));
  } catch (err) {
    await ds.destroy();
    throw err;
  }
  if (config.driver === 'mysql') installMysqlDeadlines(ds, timeoutMs, opts.onTimeout);
  return wrapDataSource(ds, config.driver, aesKey, timeoutMs);
}

/** Wraps an initialized data source (tests use it directly); `close()` waits `closeTimeoutMs` at most. */
function wrapDataSource(ds: DataSource, driver: DbConfig['driver'], aesKey: string | null, closeTimeoutMs = defaultDbTimeoutMs): Database {
  // MySQL gives each transaction its own pooled connection; SQLite has one, so its transactions take turns.
  const inTurn = driver === 'sqlite3' ? serialQueue() : <T>(task: () => Promise<T>): Promise<T> => task();
  // Writes outside any transaction take a turn between these (sqlite-turns.ts).
  if (driver === 'sqlite3') setSqliteTurns(ds, inTurn);
  return {
    driver,
    ds,
    cipher: createFieldCipher(aesKey),
    manager: ds.manager,
    async transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
      const sqlite = sqliteConnection(ds);
      // Writes made before this transaction was asked for go before it: committed now, or queued ahead of it.
      if (sqlite) commitNow(sqlite);
      try {
        return await withDbRetry(() => inTurn(() => {
          // Writes queued before this transaction land before it, as when each ran at once (not after it, or inside it).
          if (sqlite && !sqlite.inTransaction) commitNow(sqlite);
          return ds.transaction(fn);
        }));
      } catch (err) {
        if (isConnectionError(err)) throw new DatabaseUnavailableError({ cause: err });
        throw err;
      }
    },
    async close() {
      if (!ds.isInitialized) return;
      // Ending pooled connections waits for the server's goodbye: a hung server must not hold shutdown.
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((r) => { timer = setTimeout(r, closeTimeoutMs); timer.unref(); });
      try {
        const sqlite = sqliteConnection(ds);
        if (sqlite) {
          // The transactions queued or open, and the writes waiting for a turn between them, end first (within the same bound).
          await Promise.race([inTurn(() => Promise.resolve()), gaveUp]);
          // Writes queued for this turn's group commit land before the connection goes.
          commitNow(sqlite);
        }
        await Promise.race([ds.destroy(), gaveUp]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
