/**
 * Converting many rows without holding the event loop: better-sqlite3 and
 * the conversions are synchronous, so a long list converted in one go holds
 * every other connection of the portal (a key's or a backup's 10,000 hosts).
 */
import { setImmediate } from 'node:timers/promises';

/**
 * Time spent converting between two pauses: a time, not a number of rows,
 * since one row may cost 1 µs or, with 60 KB of event Args, a millisecond.
 */
export const TURN_MS = 10;

/**
 * `rows` through `fn`, letting the event loop run every {@link TURN_MS} ms;
 * null as soon as `stop()` says so at a pause (nobody wants the rest).
 */
export async function mapPaced<T, U>(rows: readonly T[], fn: (row: T) => U, stop: () => boolean = () => false): Promise<U[] | null> {
  const out: U[] = [];
  let turn = performance.now();
  for (const row of rows) {
    out.push(fn(row));
    if (performance.now() - turn < TURN_MS) continue;
    await setImmediate();
    if (stop()) return null;
    turn = performance.now();
  }
  return out;
}
