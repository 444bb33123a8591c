/**
 * Pre-authentication defences, like sshd's: a per-address failure throttle
 * with a cool-down, and a cap on concurrent unauthenticated connections that
 * drops the oldest first (so a flood of idle sockets cannot keep a real user out).
 * No I/O and no clock: callers pass `now` in milliseconds.
 */

/** Limits, all documented in the README and SECURITY.md. */
export interface GuardLimits {
  /** Failed attempts per address within `windowMs` before its attempts are slowed down. */
  throttleAfter: number;
  /** Failed attempts per address within `windowMs` before it is refused for `cooldownMs`. */
  banAfter: number;
  windowMs: number;
  cooldownMs: number;
  /** Delay added to each answer of a throttled address, per failure over the threshold. */
  delayStepMs: number;
  maxDelayMs: number;
}

/** sshportal's defaults. */
export const defaultGuardLimits: GuardLimits = {
  throttleAfter: 5, banAfter: 20, windowMs: 60_000, cooldownMs: 300_000, delayStepMs: 500, maxDelayMs: 5_000,
};

/** What to do with an address right now. */
export type AddressVerdict = { kind: 'ok' } | { kind: 'throttle'; delayMs: number } | { kind: 'refuse'; untilMs: number };

interface Record_ { failures: number[]; bannedUntil: number }

/** Per-address authentication failure tracker. */
export class AuthThrottle {
  readonly #limits: GuardLimits;
  readonly #byAddress = new Map<string, Record_>();

  constructor(limits: GuardLimits = defaultGuardLimits) {
    this.#limits = limits;
  }

  #recent(r: Record_, now: number): number[] {
    r.failures = r.failures.filter((t) => now - t < this.#limits.windowMs);
    return r.failures;
  }

  /** Records one failed attempt; returns true when this failure started a cool-down. */
  fail(address: string, now: number): boolean {
    const r = this.#byAddress.get(address) ?? { failures: [], bannedUntil: 0 };
    this.#byAddress.set(address, r);
    const recent = this.#recent(r, now);
    recent.push(now);
    if (recent.length >= this.#limits.banAfter && r.bannedUntil <= now) {
      r.bannedUntil = now + this.#limits.cooldownMs;
      return true;
    }
    return false;
  }

  /** The verdict for an address. */
  verdict(address: string, now: number): AddressVerdict {
    const r = this.#byAddress.get(address);
    if (!r) return { kind: 'ok' };
    if (r.bannedUntil > now) return { kind: 'refuse', untilMs: r.bannedUntil };
    const over = this.#recent(r, now).length - this.#limits.throttleAfter;
    if (over < 0) {
      if (r.failures.length === 0) this.#byAddress.delete(address);
      return { kind: 'ok' };
    }
    return { kind: 'throttle', delayMs: Math.min(this.#limits.maxDelayMs, (over + 1) * this.#limits.delayStepMs) };
  }

  /** Forgets addresses with nothing recent (bounded memory under a spray of addresses). */
  sweep(now: number): void {
    for (const [a, r] of this.#byAddress) if (r.bannedUntil <= now && this.#recent(r, now).length === 0) this.#byAddress.delete(a);
  }

  /** How many addresses are tracked. */
  get size(): number {
    return this.#byAddress.size;
  }
}

/**
 * The set of connections not yet authenticated, oldest first. When a new one
 * would exceed `max`, the oldest is returned for dropping.
 */
export class PendingConnections<T> {
  readonly #max: number;
  readonly #pending = new Set<T>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Adds a connection; returns the ones to drop to stay within the cap. */
  add(c: T): T[] {
    this.#pending.add(c);
    const drop: T[] = [];
    for (const old of this.#pending) {
      if (this.#pending.size - drop.length <= this.#max) break;
      if (old !== c) drop.push(old);
    }
    for (const d of drop) this.#pending.delete(d);
    return drop;
  }

  /** The oldest connection, if any. */
  oldest(): T | undefined {
    for (const c of this.#pending) return c;
    return undefined;
  }

  /** The connection authenticated or closed. */
  remove(c: T): void {
    this.#pending.delete(c);
  }

  get size(): number {
    return this.#pending.size;
  }
}
