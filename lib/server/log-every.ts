/**
 * One log line per period for an event a client can repeat at will (a
 * refused connection, a dropped one): the first passes, the next ones in the
 * period are counted and the next line that passes says how many were held.
 * A flood must not become a flood of log lines (stderr writes to a pipe are
 * synchronous, and journald's rate limit would drop the lines that matter).
 */
export class LogEvery {
  readonly #periodMs: number;
  #last = -Infinity;
  #held = 0;

  constructor(periodMs: number) {
    this.#periodMs = periodMs;
  }

  /**
   * Whether to log at `now` (ms); when so, how many lines were held back since
   * the last one that passed.
   */
  take(now: number): { log: true; held: number } | { log: false } {
    if (now - this.#last < this.#periodMs) {
      this.#held++;
      return { log: false };
    }
    this.#last = now;
    const held = this.#held;
    this.#held = 0;
    return { log: true, held };
  }
}

/**
 * {@link LogEvery} per key (a client address): one address reconnecting in a
 * loop gets one line per period, while another address still gets its own.
 * At most `maxKeys` keys are remembered; past it those idle for a period are
 * forgotten, and if all are recent, all are (a line too many, never memory).
 */
export class LogEveryPerKey {
  readonly #periodMs: number;
  readonly #maxKeys: number;
  readonly #byKey = new Map<string, { limiter: LogEvery; last: number }>();

  constructor(periodMs: number, maxKeys = 1024) {
    this.#periodMs = periodMs;
    this.#maxKeys = maxKeys;
  }

  /** {@link LogEvery.take} for `key`. */
  take(key: string, now: number): { log: true; held: number } | { log: false } {
    let entry = this.#byKey.get(key);
    if (!entry) {
      if (this.#byKey.size >= this.#maxKeys) this.#forget(now);
      entry = { limiter: new LogEvery(this.#periodMs), last: now };
      this.#byKey.set(key, entry);
    }
    entry.last = now;
    return entry.limiter.take(now);
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.#byKey.size;
  }

  #forget(now: number): void {
    for (const [key, e] of this.#byKey) if (now - e.last >= this.#periodMs) this.#byKey.delete(key);
    if (this.#byKey.size >= this.#maxKeys) this.#byKey.clear();
  }
}
