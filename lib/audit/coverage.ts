/**
 * Checkpoints the chain must hold. The portal signs every `every`-th event and
 * every session close in the same transaction as the event itself (SQLite:
 * one transaction; MySQL: the caller's, or one of its own), so a crash cannot
 * leave one out: an event that should be signed and is not had its checkpoint
 * deleted, which would let anyone rewrite the chain after the last checkpoint left.
 */
import { isChained, type EventRowData } from './events.js';
import type { Problem } from './problem.js';

/** Why an event must be signed. */
export type CheckpointDue = 'interval' | 'close';

/**
 * Whether the portal signed `e` as it wrote it (pure).
 *
 * | event                                  | due        |
 * |----------------------------------------|------------|
 * | seq a multiple of `every`              | 'interval' |
 * | `session close` (any other seq)        | 'close'    |
 * | anything else                          | null       |
 */
export function checkpointDue(e: Pick<EventRowData, 'domain' | 'action'> & { seq: number }, every: number): CheckpointDue | null {
  if (e.seq % every === 0) return 'interval';
  if (e.domain === 'session' && e.action === 'close') return 'close';
  return null;
}

/** The problem of an event whose due checkpoint is missing (pure). */
export function missingCheckpoint(e: Pick<EventRowData, 'id'> & { seq: number }, due: CheckpointDue, every: number): Problem {
  const why = due === 'interval' ? `every event whose number is a multiple of ${every} is signed` : 'every session close is signed';
  return { subject: 'event', id: e.id, kind: 'deleted', detail: `its checkpoint (#${e.seq}) is missing: ${why} as it is written` };
}

/**
 * Checks, during the walk, that every event up to `upTo` that is due a
 * checkpoint has one. `upTo` is the newest sequence number read before the
 * checkpoints: an event appended after that may have its checkpoint unread.
 */
export class CheckpointCoverage {
  readonly #signed: ReadonlySet<number>;
  readonly #upTo: number;
  readonly #every: number;
  #problem: Problem | null = null;

  constructor(signedSeqs: ReadonlySet<number>, upTo: number, every: number) {
    this.#signed = signedSeqs;
    this.#upTo = upTo;
    this.#every = every;
  }

  /** The first event whose checkpoint is missing. */
  get problem(): Problem | null { return this.#problem; }

  /** Feeds the next event (rows the chain cannot hold are the chain check's). */
  push(e: EventRowData): void {
    if (this.#problem || !isChained(e) || e.seq > this.#upTo || this.#signed.has(e.seq)) return;
    const due = checkpointDue(e, this.#every);
    if (due) this.#problem = missingCheckpoint(e, due, this.#every);
  }
}
