/**
 * The end of the chain an append links to (pure). An empty chain starts from
 * the genesis hash; a newest row the chain cannot link to (no hash, or a
 * sequence number below 1: someone wrote it outside the portal) stops every
 * append loudly, instead of restarting the chain from the genesis hash.
 */
import { ConflictError } from '../../errors.js';
import { genesisHash } from './encoding.js';

/** What an append links to: the newest sequence number and its hash. */
export interface Head {
  seq: number;
  hash: string;
}

/** The columns of the newest row with a sequence number, as read. */
export interface HeadRow {
  id?: number;
  seq: number | null;
  hash: string | null;
}

/** The newest event with a sequence number cannot be chained on: the events table was written outside the portal. */
export class ChainHeadError extends ConflictError {
  readonly seq: number | null;
  constructor(row: HeadRow, why: string) {
    const which = row.id === undefined ? `#${String(row.seq)}` : `${row.id} (#${String(row.seq)})`;
    super(`audit chain: its newest event ${which} ${why}: the events table was changed outside the portal; ` +
      'no event can be appended until it is repaired (run `sshportal verify`)');
    this.seq = row.seq;
  }
}

/**
 * Decides the head from the newest row with a sequence number (`undefined`:
 * there is none). Throws {@link ChainHeadError} when that row cannot be linked to.
 *
 * | newest row                  | head                          |
 * |-----------------------------|-------------------------------|
 * | none                        | `{ seq: 0, hash: genesis }`   |
 * | seq ≥ 1, hash present       | `{ seq, hash }`               |
 * | seq ≥ 1, hash null          | throws (no hash)              |
 * | seq < 1 or not an integer   | throws (outside the chain)    |
 */
export function chainHead(row: HeadRow | undefined): Head {
  if (row === undefined) return { seq: 0, hash: genesisHash };
  if (row.seq === null || !Number.isSafeInteger(row.seq) || row.seq < 1) throw new ChainHeadError(row, 'has a sequence number outside the chain');
  if (row.hash === null) throw new ChainHeadError(row, 'has no hash');
  return { seq: row.seq, hash: row.hash };
}
