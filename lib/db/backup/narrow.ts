import { InvalidArgumentError, quoted } from '../../errors.js';

/** A JSON object being read, with where it sits in the document for error messages. */
export interface Reader {
  path: string;
  value: Record<string, unknown>;
}

/** The error of a backup that does not have the expected shape. */
export function invalid(path: string, what: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid backup: ${path}: ${what}`);
}

/** Narrows a value to a JSON object. */
export function object(value: unknown, path: string): Reader {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'expected an object');
  return { path, value: value as Record<string, unknown> };
}

/** An array field; null or absent is empty (Go writes nil slices as null). */
export function array(r: Reader, key: string): { path: string; items: unknown[] } {
  const v = r.value[key];
  const path = `${r.path}.${key}`;
  if (v === undefined || v === null) return { path, items: [] };
  if (!Array.isArray(v)) throw invalid(path, 'expected an array');
  return { path, items: v };
}

/** The objects of an array field. */
export function objects(r: Reader, key: string): Reader[] {
  const a = array(r, key);
  return a.items.map((v, i) => object(v, `${a.path}[${i}]`));
}

/** A string field; absent or null is `fallback`. */
export function string(r: Reader, key: string, fallback = ''): string {
  const v = r.value[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string') throw invalid(`${r.path}.${key}`, 'expected a string');
  return v;
}

/**
 * The largest value of the portal's integer columns (ids, references, Seq,
 * Length, Weight): each is an INT on MySQL/MariaDB. Past it a restore failed
 * there as an internal error, while SQLite took any safe integer and left the
 * next row or audit append of that table failing for good (2^53 is not a
 * number JavaScript can count past). Both drivers refuse it alike.
 */
export const MAX_INT = 2_147_483_647;

/** A whole number field from 0 to `max` (an INT column's range by default); absent or null is 0. */
export function count(r: Reader, key: string, max = MAX_INT): number {
  const v = r.value[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${r.path}.${key}`, 'expected a whole number');
  if (v > max) throw invalid(`${r.path}.${key}`, `out of range (at most ${max})`);
  return v;
}

/**
 * The largest id or sequence number a backup may carry: a million under
 * {@link MAX_INT}, so that the rows and events written after a restore still
 * fit (an id of exactly MAX_INT left the next insert into its table failing).
 * It was 10^9: a portal's own rows pass any such bound in time (a busy audit
 * trail writes ~10^8 events a year), and from then on none of its backups
 * could be restored. Past this one a database is within a million rows of
 * its INT columns' end, where MySQL refuses inserts anyway.
 */
export const MAX_ID = MAX_INT - 1_000_000;

/** The ID of a row: a positive whole number up to {@link MAX_ID}. */
export function id(r: Reader): number {
  const v = count(r, 'ID', MAX_ID);
  if (v === 0) throw invalid(`${r.path}.ID`, 'expected a positive id');
  return v;
}

/** A date field (RFC 3339, as Go writes it); absent or null is null. */
export function date(r: Reader, key: string): Date | null {
  const v = r.value[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(`${r.path}.${key}`, 'expected a date');
  if (v.startsWith('0001-01-01T00:00:00')) return null;
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(d.getTime())) throw invalid(`${r.path}.${key}`, `invalid date ${quoted(v)}`);
  // 9999-12-31T23:30:00-05:00 is in year 10000 in UTC: SQLite kept it as +010000-…, which the next restore refused.
  if (d.getUTCFullYear() > 9999) throw invalid(`${r.path}.${key}`, `invalid date ${quoted(v)}: after the year 9999 in UTC`);
  return d;
}

/** The IDs of a nested relation (`Groups: [{ID: 1, …}]`). */
export function ids(r: Reader, key: string): number[] {
  return objects(r, key).map(id);
}

/** Whether `v` is padded base64 (as Go writes a `[]byte`). Pure. */
export function isBase64(v: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0;
}

/** A base64 field (Go `[]byte`); absent, null or empty is null. */
export function base64(r: Reader, key: string): string | null {
  const v = string(r, key);
  if (v === '') return null;
  if (!isBase64(v)) throw invalid(`${r.path}.${key}`, 'expected base64');
  return v;
}

/**
 * Bytes a TEXT column holds on MySQL/MariaDB. The portal writes a session's
 * recordings and seals there unbounded, so the column is their real bound: a
 * longer list could not have been written, and it would fail the restore
 * there as an internal error (SQLite would take it).
 */
export const MAX_TEXT_BYTES = 65_535;

/** The JSON text of a list column, refused when it would not fit its TEXT column. */
export function textColumn(path: string, json: string): string {
  if (Buffer.byteLength(json) > MAX_TEXT_BYTES) throw invalid(path, `longer than its column holds (${MAX_TEXT_BYTES} bytes of JSON)`);
  return json;
}
