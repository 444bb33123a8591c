/**
 * How a restore cuts a long table into multi-row INSERTs. Two bounds: the
 * statement's size (MariaDB refuses a packet past `max_allowed_packet`, 16 MiB
 * by default: 200 large sessions of a portal's own backup did not restore),
 * and the number of distinct statements (SQLite's are prepared once and kept,
 * sql.ts: a statement per leftover row count grew the cache by ~50 MiB over
 * restores of different sizes). Pure.
 */

/** Rows per statement, largest first: a statement takes the largest that fits, so a table uses at most these nine shapes. */
export const STATEMENT_ROWS = [200, 128, 64, 32, 16, 8, 4, 2, 1] as const;

/** What a statement's values may weigh, by {@link valueBytes}: half of MariaDB's default `max_allowed_packet`. */
export const STATEMENT_BYTES = 8 * 2 ** 20;

/** An upper bound of what a value weighs in a statement: 3 bytes of UTF-8 per UTF-16 unit, doubled by escaping. */
export function valueBytes(value: unknown): number {
  return typeof value === 'string' ? value.length * 6 + 2 : 24;
}

/**
 * The row counts of the statements that write rows weighing `rowBytes`, in
 * order: each the largest of {@link STATEMENT_ROWS} that the rows left hold
 * and whose rows weigh at most `maxBytes` together; a row heavier than that
 * alone goes alone.
 */
export function statementRows(rowBytes: readonly number[], maxBytes = STATEMENT_BYTES): number[] {
  const prefix = [0];
  for (const b of rowBytes) prefix.push((prefix.at(-1) ?? 0) + b);
  const weight = (from: number, count: number): number => (prefix[from + count] ?? 0) - (prefix[from] ?? 0);
  const out: number[] = [];
  for (let at = 0; at < rowBytes.length;) {
    const left = rowBytes.length - at;
    const count = STATEMENT_ROWS.find((n) => n <= left && weight(at, n) <= maxBytes) ?? 1;
    out.push(count);
    at += count;
  }
  return out;
}
