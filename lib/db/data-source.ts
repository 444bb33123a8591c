import 'reflect-metadata';
import mysql from 'mysql2/promise';
import { DataSource } from 'typeorm';
import type { MysqlConn, MysqlTls } from '../config/mysql-dsn.js';
import type { DbConfig } from '../config/server-config.js';
import { migrations } from '../../migrations/index.js';
import { entities } from './entities/index.js';
import { createSqliteFile } from './sqlite-files.js';

/** Default of `--db-timeout`. */
export const defaultDbTimeoutMs = 5_000;

/**
 * Builds (does not connect) a typeorm data source for SQLite or MySQL/MariaDB.
 * A new SQLite file is created 0600 in a 0700 directory. `timeoutMs` bounds
 * SQLite's busy wait and MySQL's connection handshake. `readOnly` (the audit
 * verifier) opens SQLite read-only and creates nothing.
 */
export function createDataSource(db: DbConfig, mariadb = true, timeoutMs = defaultDbTimeoutMs, readOnly = false): DataSource {
  if (db.driver === 'sqlite3' && readOnly) {
    return new DataSource({ type: 'better-sqlite3', database: db.path, readonly: true, fileMustExist: true, entities, synchronize: false, logging: false, timeout: timeoutMs });
  }
  if (db.driver === 'sqlite3') {
    createSqliteFile(db.path);
    return new DataSource({
      type: 'better-sqlite3',
      database: db.path,
      entities,
      migrations,
      synchronize: false,
      migrationsRun: false,
      logging: false,
      // better-sqlite3 waits for another process's write lock synchronously: keep it short.
      timeout: timeoutMs,
      prepareDatabase: (conn: { pragma(s: string): unknown }) => {
        conn.pragma('journal_mode = WAL');
        // A commit is written to the WAL without waiting for the disk; the WAL is synced at each checkpoint.
        // Measured here: FULL cost ~215 µs CPU and ~1 ms of a blocked event loop (every relayed session of
        // the node waits) per commit, ~5 commits per login; NORMAL ~27 µs and ~0.06 ms. A portal that
        // crashes or is killed loses nothing; a power loss or kernel crash may roll back the last commits
        // (never corrupts the file, never breaks the audit chain: a rolled-back tail is a shorter chain).
        conn.pragma('synchronous = NORMAL');
        // Deleted and overwritten content is zeroed: no clear secret lingers in free pages.
        conn.pragma('secure_delete = ON');
      },
    });
  }
  return new DataSource({
    // typeorm reads MariaDB's catalog differently (defaults, JSON); pick the dialect the server speaks.
    type: mariadb ? 'mariadb' : 'mysql',
    host: db.conn.host,
    port: db.conn.port,
    username: db.conn.user,
    password: db.conn.password,
    database: db.conn.database,
    ssl: tlsOptions(db.conn.tls),
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    // A server that accepts TCP and never greets must not hold a pool slot for long.
    connectTimeout: timeoutMs,
    poolSize: readOnly ? 1 : 10,
    extra: { enableKeepAlive: true },
  });
}

/**
 * Runs `fn` while holding a cluster-wide named lock: a MySQL advisory lock
 * (GET_LOCK) on a dedicated connection; SQLite is one file, one writer, no lock needed.
 */
export async function withClusterLock<T>(ds: DataSource, name: string, fn: () => Promise<T>): Promise<T> {
  if (ds.options.type === 'better-sqlite3') return fn();
  const qr = ds.createQueryRunner();
  await qr.connect();
  try {
    const rows: unknown = await qr.query('SELECT GET_LOCK(?, 120) AS ok', [name]);
    const ok = Array.isArray(rows) && rows.length > 0 && Number((rows[0] as Record<string, unknown>).ok) === 1;
    if (!ok) throw new Error(`could not acquire the database lock '${name}'`);
    try {
      return await fn();
    } finally {
      await qr.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  } finally {
    await qr.release();
  }
}

/**
 * mysql2's TLS options for `tls` (a server that cannot speak TLS then fails the
 * connection: nothing falls back to plaintext). Verified against Node's CAs.
 */
export function tlsOptions(tls: MysqlTls): { rejectUnauthorized: boolean } | undefined {
  switch (tls) {
    case 'off': return undefined;
    case 'verify': return { rejectUnauthorized: true };
    case 'skip-verify': return { rejectUnauthorized: false };
  }
}

/** Whether the MySQL-protocol server at `conn` is MariaDB (typeorm reads its catalog differently). */
export async function isMariaDb(conn: MysqlConn, timeoutMs = defaultDbTimeoutMs): Promise<boolean> {
  const c = await mysql.createConnection({ host: conn.host, port: conn.port, user: conn.user, password: conn.password, connectTimeout: timeoutMs, ssl: tlsOptions(conn.tls) });
  try {
    const [rows] = await c.query({ sql: 'SELECT VERSION() AS v', timeout: timeoutMs });
    const v = Array.isArray(rows) && rows.length > 0 ? String((rows[0] as Record<string, unknown>).v) : '';
    return /mariadb/i.test(v);
  } finally {
    // A one-shot connection: no goodbye to a server that may not answer.
    c.destroy();
  }
}
