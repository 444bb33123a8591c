/**
 * The idle timer of a relayed connection: one timer, re-armed lazily, so that
 * counting traffic costs one assignment per chunk.
 */

/** Fires `onIdle` once when `touch()` was not called for `timeoutMs`. */
export class IdleTimer {
  #timeoutMs: number;
  #now: () => number;
  #onIdle: () => void;
  #last: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, now: () => number, onIdle: () => void) {
    this.#timeoutMs = timeoutMs;
    this.#now = now;
    this.#onIdle = onIdle;
    this.#last = now();
    this.#arm(timeoutMs);
  }

  /** Records activity. */
  touch(): void { this.#last = this.#now(); }

  /** Stops the timer for good. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#check(), Math.max(1, ms));
  }

  #check(): void {
    const idle = this.#now() - this.#last;
    if (idle >= this.#timeoutMs) {
      this.#timer = undefined;
      this.#onIdle();
    } else this.#arm(this.#timeoutMs - idle);
  }
}
