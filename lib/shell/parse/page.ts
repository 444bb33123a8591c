import type { Page } from '../../db/queries/history.js';
import { InvalidArgumentError } from '../../errors.js';

/** Rows an `ls` of the audit trail or of sessions shows unless told otherwise. */
export const defaultLimit = 100;
/** Most rows one page may hold: a listing is rendered in one piece, and must stay small. */
export const maxLimit = 10_000;
/**
 * Largest `--offset`. Deeper, MariaDB leaves the (created_at, id) index for a
 * scan and a sort of the whole table (1.6M events: 4.7 s at offset 1.59M, a
 * deadline error at 10M, on the database every node shares); `--before ID`
 * reads any depth from the index.
 */
const maxOffset = 100_000;

/** What `--limit`, `--offset`, `--before` and `--latest` were given as (undefined: absent). */
export interface PageFlags {
  limit?: string;
  offset?: string;
  before?: string;
  latest: boolean;
}

function wholeNumber(text: string, flag: string, min: number, max: number, what: string): number {
  const t = text.trim();
  if (!/^\d{1,16}$/.test(t) || Number(t) < min || Number(t) > max) {
    throw new InvalidArgumentError(`invalid --${flag} '${text}': expected ${what} from ${min} to ${max}`);
  }
  return Number(t);
}

/**
 * The page a listing asks for: newest first, `--limit` rows (default 100, at
 * most 10,000; `--latest` is a limit of 1), after skipping `--offset` rows or
 * starting below the row `--before` names. Pure.
 */
export function parsePage(flags: PageFlags): Page {
  let limit = flags.limit === undefined ? defaultLimit : wholeNumber(flags.limit, 'limit', 1, maxLimit, 'a number of rows');
  if (flags.latest) limit = 1;
  const offset = flags.offset === undefined ? 0 : wholeNumber(flags.offset, 'offset', 0, maxOffset, 'a number of rows (deeper: --before ID)');
  const before = flags.before === undefined ? null : wholeNumber(flags.before, 'before', 1, Number.MAX_SAFE_INTEGER, 'an id');
  return { limit, offset, before };
}
