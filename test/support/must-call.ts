/**
 * ssh2's `mustCall` (its test/common.js), for mocha and promises: wrap the
 * callbacks an event-driven test expects, then `await calls.done()` instead of
 * polling a flag. A callback run too often, or a `mustNotCall` run at all,
 * fails at once with its name.
 */

interface Check {
  name: string;
  /** Exact count, or the least count when `atLeast`. */
  expected: number;
  atLeast: boolean;
  actual: number;
}

/** The callbacks one test expects. */
export class Calls {
  #checks: Check[] = [];
  #failure: Error | null = null;
  #wake: (() => void) | null = null;

  /** Wraps `fn` (default: nothing), which must run exactly `times` times. */
  mustCall<A extends unknown[], R>(fn?: (...args: A) => R, times = 1, name = fn?.name || 'callback'): (...args: A) => R | undefined {
    return this.#wrap({ name, expected: times, atLeast: false, actual: 0 }, fn);
  }

  /** Wraps `fn` (default: nothing), which must run `times` times or more. */
  mustCallAtLeast<A extends unknown[], R>(fn?: (...args: A) => R, times = 1, name = fn?.name || 'callback'): (...args: A) => R | undefined {
    return this.#wrap({ name, expected: times, atLeast: true, actual: 0 }, fn);
  }

  /** A callback that fails the test when it runs. */
  mustNotCall(name: string): (...args: unknown[]) => void {
    return () => this.#fail(new Error(`${name} must not be called`));
  }

  /**
   * Resolves once every wrapped callback ran its count; rejects as soon as one
   * ran too often or a `mustNotCall` ran, or after `timeoutMs` naming those
   * still missing.
   */
  async done(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    try {
      for (;;) {
        if (this.#failure) throw this.#failure;
        const missing = this.#checks.filter((c) => c.actual < c.expected);
        if (missing.length === 0) return;
        const woke = new Promise<boolean>((resolve) => { this.#wake = () => resolve(true); });
        if (!(await Promise.race([woke, timedOut.then(() => false)]))) {
          throw new Error(`timed out after ${timeoutMs} ms: ${missing.map((c) => `${c.name} called ${c.actual} of ${c.expected} times`).join(', ')}`);
        }
      }
    } finally {
      clearTimeout(timer);
      this.#wake = null;
    }
  }

  #wrap<A extends unknown[], R>(check: Check, fn: ((...args: A) => R) | undefined): (...args: A) => R | undefined {
    this.#checks.push(check);
    return (...args: A) => {
      check.actual++;
      if (!check.atLeast && check.actual > check.expected) this.#fail(new Error(`${check.name} called ${check.actual} times, expected ${check.expected}`));
      else this.#wake?.();
      return fn?.(...args);
    };
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    this.#wake?.();
  }
}
