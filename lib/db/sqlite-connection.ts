/**
 * better-sqlite3's connection under a typeorm SQLite data source: the one
 * place that reaches into typeorm's driver for it. Plain SQL (sql.ts), chained
 * audit appends (chain/sqlite-append.ts) and writes waiting out a transaction
 * (sqlite-turns.ts) run on it.
 */
import type { DataSource } from 'typeorm';

/** The slice of a better-sqlite3 prepared statement the portal uses. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** The slice of better-sqlite3's connection the portal uses. */
export interface SqliteConnection {
  /** Whether a transaction (anyone's: there is one connection) is open. */
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): { immediate(...args: A): R };
}

/** The better-sqlite3 connection of `ds`, or undefined when it is not open or `ds` is not SQLite. */
export function sqliteConnection(ds: DataSource): SqliteConnection | undefined {
  if (ds.options.type !== 'better-sqlite3') return undefined;
  const conn = (ds.driver as unknown as { databaseConnection?: unknown }).databaseConnection;
  return typeof conn === 'object' && conn !== null && 'inTransaction' in conn ? (conn as SqliteConnection) : undefined;
}
