/**
 * Plain parameterized SQL on either driver, for the paths every login takes
 * (key lookup, host and ACL reads, the session row): typeorm's query building
 * and entity mapping cost more CPU than the login's key exchanges. On SQLite
 * the statements run on better-sqlite3's connection, prepared once and kept;
 * on MySQL/MariaDB they go through the manager's `query`, so a transaction's
 * connection, the pool and the query deadline (deadline.ts) still apply.
 *
 * The SQL must be portable: `?` placeholders, lower-case unquoted names
 * qualified by a table alias (MySQL accepts a reserved word after a period).
 */
import type { DataSource, EntityManager } from 'typeorm';
import { sqliteConnection, type SqliteConnection, type SqliteStatement } from './sqlite-connection.js';
import { outsideTransactions } from './sqlite-turns.js';

/** A value bound to a placeholder. Dates are written as the ORM writes them. */
export type SqlParam = string | number | null | Date;

/** What a write did. */
export interface SqlWrite {
  /** The id of the row an INSERT created (0 otherwise). */
  insertId: number;
  /** Rows the statement changed. */
  changes: number;
}

/** Runs SQL on one manager's database (and inside its transaction, if it has one). */
export interface Sql {
  /** The rows of a SELECT, as the driver returns them. */
  rows(sql: string, params?: readonly SqlParam[]): Promise<Record<string, unknown>[]>;
  /** Runs an INSERT, UPDATE or DELETE. */
  write(sql: string, params?: readonly SqlParam[]): Promise<SqlWrite>;
}

/**
 * The placeholders and parameters of an `IN (…)` list of `values` (at least
 * one). The list is padded, by repeating its last value, to the next power of
 * two: lists of any length then use a handful of distinct statements (each
 * prepared once), and a repeated value changes nothing in an `IN`. Pure.
 */
export function inList<T extends SqlParam>(values: readonly T[]): { marks: string; params: T[] } {
  if (values.length === 0) throw new RangeError('an IN list needs at least one value');
  let size = 1;
  while (size < values.length) size *= 2;
  const last = values[values.length - 1];
  const params = [...values];
  while (params.length < size) params.push(last);
  return { marks: params.map(() => '?').join(', '), params };
}

/** typeorm's SQLite datetime text (UTC, milliseconds), so a value written here reads back like the ORM's. */
export function sqliteDateText(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * A datetime column as a Date, null for NULL. MySQL's driver already returns
 * Dates (the pool runs in UTC); SQLite stores text, in UTC without a zone
 * (`2024-01-02 03:04:05` or with `.678`), read the way typeorm reads it.
 */
export function dateOf(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  let text = textOf(value);
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d/.test(text)) text = text.replace(' ', 'T');
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?$/.test(text)) text += 'Z';
  return new Date(text);
}

/** A column read as a number (ids, weights); MySQL may hand big integers as strings. */
export function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** A nullable integer column. */
export function nullableNumberOf(value: unknown): number | null {
  return value === null || value === undefined ? null : numberOf(value);
}

/** A text column (NULL reads as ''). */
export function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Date) return value.toISOString();
  throw new TypeError(`unexpected column value of type ${typeof value}`);
}

/** A nullable text column. */
export function nullableTextOf(value: unknown): string | null {
  return value === null || value === undefined ? null : textOf(value);
}

/** The result of a synchronous call as a promise (a throw becomes the rejection). */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error('SQLite statement failed', { cause: err }));
  }
}

const sqliteRunners = new WeakMap<SqliteConnection, SqliteSql>();
const sqliteOutsideRunners = new WeakMap<SqliteConnection, Sql>();

/**
 * The runner of a manager outside any transaction: its writes wait out a
 * transaction another caller has open on the one connection (sqlite-turns.ts),
 * instead of joining it and rolling back with it.
 */
function sqliteOutsideSql(ds: DataSource, db: SqliteConnection, inside: SqliteSql): Sql {
  return {
    rows: (sql, params) => inside.rows(sql, params),
    write: (sql, params = []) => outsideTransactions(ds, db, () => inside.writeNow(sql, params)),
  };
}

/** The SQLite runner, with its write as the synchronous statement it is. */
interface SqliteSql extends Sql {
  writeNow(sql: string, params?: readonly SqlParam[]): SqlWrite;
}

function sqliteSql(db: SqliteConnection): SqliteSql {
  const prepared = new Map<string, SqliteStatement>();
  const statement = (sql: string): SqliteStatement => {
    let s = prepared.get(sql);
    if (!s) { s = db.prepare(sql); prepared.set(sql, s); }
    return s;
  };
  const bind = (params: readonly SqlParam[]): unknown[] => params.map((p) => (p instanceof Date ? sqliteDateText(p) : p));
  const writeNow = (sql: string, params: readonly SqlParam[] = []): SqlWrite => {
    const r = statement(sql).run(...bind(params));
    return { insertId: Number(r.lastInsertRowid), changes: r.changes };
  };
  return {
    // Synchronous underneath: nothing else runs on the connection between a statement's steps.
    rows: (sql, params = []) => settle(() => statement(sql).all(...bind(params)) as Record<string, unknown>[]),
    write: (sql, params = []) => settle(() => writeNow(sql, params)),
    writeNow,
  };
}

function mysqlSql(m: EntityManager): Sql {
  return {
    async rows(sql, params = []) {
      const rows: unknown = await m.query(sql, [...params]);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    async write(sql, params = []) {
      const r: { insertId?: unknown; affectedRows?: unknown } | null = await m.query(sql, [...params]);
      return { insertId: Number(r?.insertId ?? 0), changes: Number(r?.affectedRows ?? 0) };
    },
  };
}

const mysqlRunners = new WeakMap<EntityManager, Sql>();

/** The SQL runner of `m` (its data source's driver; its transaction when it has one). */
export function sqlOf(m: EntityManager): Sql {
  const ds = m.dataSource;
  if (ds.options.type === 'better-sqlite3') {
    // One connection for the whole data source: a transaction of `m` runs on it too.
    const db = sqliteConnection(ds);
    if (!db) throw new Error('the SQLite database is not open');
    let sql = sqliteRunners.get(db);
    if (!sql) { sql = sqliteSql(db); sqliteRunners.set(db, sql); }
    if (m.queryRunner?.isTransactionActive) return sql;
    let outside = sqliteOutsideRunners.get(db);
    if (!outside) { outside = sqliteOutsideSql(ds, db, sql); sqliteOutsideRunners.set(db, outside); }
    return outside;
  }
  let sql = mysqlRunners.get(m);
  if (!sql) { sql = mysqlSql(m); mysqlRunners.set(m, sql); }
  return sql;
}
