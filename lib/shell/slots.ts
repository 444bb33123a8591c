/**
 * A bounded number of holders at once, and a bounded line of waiters, first
 * come first served: what the admin shell lets run side by side on a node
 * when each run may hold much memory (`config backup`).
 */

/** How many may hold a slot at once, and how many may wait for one; read at each {@link Slots.take}. */
export interface SlotLimits {
  running: number;
  waiting: number;
}

/** How a {@link Slots.take} ended: a slot (to release exactly once; later calls do nothing), or why none. */
export type SlotTaken = { taken: true; release(): void } | { taken: false; why: 'full' | 'gone' };

/** How often a waiter looks whether its client is gone (a channel's end may come with no event a waiter hears). */
const RECHECK_MS = 1000;

/** The slots of one kind of work on this node. */
export class Slots {
  #held = 0;
  readonly #line: (() => void)[] = [];

  constructor(private readonly limits: SlotLimits, private readonly recheckMs = RECHECK_MS) {}

  /** Slots held now. */
  get held(): number { return this.#held; }

  /** Waiters in line now. */
  get waiting(): number { return this.#line.length; }

  /**
   * A slot: at once when one is free and nobody waits; else after the
   * waiters before it, with `waits` called once as it joins the line; none
   * when the line is full ('full'), or when `gone()` said so while it waited
   * ('gone', it then left the line).
   */
  take(gone: () => boolean, waits?: (ahead: number) => void): Promise<SlotTaken> {
    if (this.#held < this.limits.running && this.#line.length === 0) return Promise.resolve(this.#grant());
    if (this.#line.length >= this.limits.waiting) return Promise.resolve({ taken: false, why: 'full' });
    waits?.(this.#line.length);
    return new Promise((resolve) => {
      const recheck = setInterval(() => {
        if (!gone()) return;
        clearInterval(recheck);
        const at = this.#line.indexOf(turn);
        if (at >= 0) this.#line.splice(at, 1);
        resolve({ taken: false, why: 'gone' });
      }, this.recheckMs);
      const turn = (): void => {
        clearInterval(recheck);
        resolve(this.#grant());
      };
      this.#line.push(turn);
    });
  }

  #grant(): SlotTaken {
    this.#held++;
    let released = false;
    return {
      taken: true,
      release: () => {
        if (released) return;
        released = true;
        this.#held--;
        this.#next();
      },
    };
  }

  /** Hands free slots to the waiters at the head of the line (limits may have grown meanwhile). */
  #next(): void {
    while (this.#held < this.limits.running) {
      const turn = this.#line.shift();
      if (turn === undefined) return;
      turn();
    }
  }
}
