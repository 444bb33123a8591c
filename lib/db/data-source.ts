import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import mysql from 'mysql2/promise';
import { DataSource } from 'typeorm';
import type { MysqlConn } from '../config/mysql-dsn.js';
import type { DbConfig } from '../config/server-config.js';
import { migrations } from '../../migrations/index.js';
import { entities } from './entities/index.js';

/**
 * Builds (does not connect) a typeorm data source for SQLite or MySQL/MariaDB.
 * `readOnly` (the verifier) opens SQLite read-only and creates nothing.
 */
export function createDataSource(db: DbConfig, mariadb = true, readOnly = false): DataSource {
  if (db.driver === 'sqlite3' && readOnly) {
    return new DataSource({ type: 'better-sqlite3', database: db.path, readonly: true, fileMustExist: true, entities, synchronize: false, logging: false });
  }
  if (db.driver === 'sqlite3') {
    if (db.path !== ':memory:') mkdirSync(dirname(db.path), { recursive: true });
    return new DataSource({
      type: 'better-sqlite3',
      database: db.path,
      entities,
      migrations,
      synchronize: false,
      migrationsRun: false,
      logging: false,
      timeout: 10_000,
      prepareDatabase: (conn: { pragma(s: string): unknown }) => {
        conn.pragma('journal_mode = WAL');
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
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    connectTimeout: 5_000,
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

/** Whether the MySQL-protocol server at `conn` is MariaDB (typeorm reads its catalog differently). */
export async function isMariaDb(conn: MysqlConn): Promise<boolean> {
  const c = await mysql.createConnection({ host: conn.host, port: conn.port, user: conn.user, password: conn.password, connectTimeout: 5_000 });
  try {
    const [rows] = await c.query('SELECT VERSION() AS v');
    const v = Array.isArray(rows) && rows.length > 0 ? String((rows[0] as Record<string, unknown>).v) : '';
    return /mariadb/i.test(v);
  } finally {
    await c.end();
  }
}
