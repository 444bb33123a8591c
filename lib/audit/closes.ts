/**
 * The seals each session was closed with, as its chained close event says. A
 * session closes once: the first close event of a session stands, and any
 * later one is an inserted event (a forged close appended to the chain could
 * otherwise re-seal an old, edited recording: the chain hash has no secret).
 */
import type { RecordingSeal } from '../recording/seal.js';
import { isChained, type EventRowData } from './events.js';
import type { Problem } from './problem.js';
import { closeEventSeals } from './recordings.js';

/** The close event of one session that stands. */
interface FirstClose {
  eventId: number;
  seals: RecordingSeal[];
}

/**
 * What a close event of `sessionId` means, given the one seen before it
 * (pure). `event` is the new close event's id.
 *
 * | earlier close of the session | answer                      |
 * |------------------------------|-----------------------------|
 * | none                         | null: its seals stand       |
 * | event E                      | inserted: E closed it first |
 */
export function closeProblem(sessionId: number, event: number, earlier: FirstClose | undefined): Problem | null {
  if (earlier === undefined) return null;
  return { subject: 'event', id: event, kind: 'inserted', detail: `it closes session ${sessionId} again (event ${earlier.eventId} closed it first)` };
}

/** Collects the close events of a chain walked in sequence order, from the smallest. */
export class SessionCloses {
  readonly #first = new Map<number, FirstClose>();
  #problem: Problem | null = null;

  /** The first problem: a session closed twice. */
  get problem(): Problem | null { return this.#problem; }

  /** The seals of every session, from its first chained close event. */
  get seals(): ReadonlyMap<number, RecordingSeal[]> {
    return new Map([...this.#first].map(([id, c]) => [id, c.seals]));
  }

  /** Feeds the next event (rows the chain cannot hold are not close events: the chain check names them). */
  push(e: EventRowData): void {
    if (!isChained(e)) return;
    const close = closeEventSeals(e);
    if (!close) return;
    const earlier = this.#first.get(close.sessionId);
    const problem = closeProblem(close.sessionId, e.id, earlier);
    if (problem) this.#problem ??= problem;
    else this.#first.set(close.sessionId, { eventId: e.id, seals: close.seals });
  }
}
