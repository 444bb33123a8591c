/**
 * Read-only access for the offline verifier: SQLite opened read-only, MySQL
 * read through one `START TRANSACTION READ ONLY` (any write fails, and every
 * query sees the same snapshot). Never migrates.
 */
import { existsSync } from 'node:fs';
import type { DataSource, EntityManager } from 'typeorm';
import type { DbConfig } from '../config/server-config.js';
import { ConfigError, DatabaseUnavailableError } from '../errors.js';
import { createDataSource, defaultDbTimeoutMs, isMariaDb } from './data-source.js';
import { isConnectionError } from './database.js';

/** Runs `fn` on a read-only view of the database at `config`, then closes it. */
export async function withReadOnlyDatabase<T>(config: DbConfig, fn: (m: EntityManager) => Promise<T>): Promise<T> {
  if (config.driver === 'sqlite3' && !existsSync(config.path)) throw new ConfigError('no SQLite database at the --db-conn path');
  let ds: DataSource;
  try {
    ds = createDataSource(config, config.driver === 'mysql' ? await isMariaDb(config.conn) : false, defaultDbTimeoutMs, true);
    await ds.initialize();
  } catch (err) {
    if (isConnectionError(err)) throw new DatabaseUnavailableError({ cause: err });
    throw err;
  }
  try {
    return await readSnapshot(ds, fn);
  } finally {
    await ds.destroy();
  }
}

/**
 * Runs `fn` in one read-only transaction on MySQL (a consistent snapshot while
 * the portal keeps writing); on SQLite reads go straight to the one connection.
 */
export async function readSnapshot<T>(ds: DataSource, fn: (m: EntityManager) => Promise<T>): Promise<T> {
  if (ds.options.type === 'better-sqlite3') return fn(ds.manager);
  const qr = ds.createQueryRunner();
  await qr.connect();
  try {
    await qr.query('START TRANSACTION READ ONLY');
    try {
      return await fn(qr.manager);
    } finally {
      await qr.query('ROLLBACK');
    }
  } finally {
    await qr.release();
  }
}
