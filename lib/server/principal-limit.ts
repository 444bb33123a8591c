/**
 * Connections per principal (a user, or the key of an invite or tunnel
 * connector): authenticated connections leave the pre-auth limits and count
 * in `--max-connections` until they close, so without this one enrolled key
 * could hold them all (idle connections cost it one handshake each) and keep
 * everyone else out. No I/O and no clock.
 */

/** `--max-user-connections` when not given: an eighth of `--max-connections`, at least 8. */
export function defaultMaxUserConnections(maxConnections: number): number {
  return Math.max(8, Math.floor(maxConnections / 8));
}

/** Counts live connections per principal. */
export class PrincipalConnections {
  readonly #max: number;
  readonly #counts = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The cap in force. */
  get max(): number { return this.#max; }

  /** Takes a slot for `principal`; returns its release (idempotent), or null when the principal is at the cap. */
  take(principal: string): (() => void) | null {
    const n = this.#counts.get(principal) ?? 0;
    if (n >= this.#max) return null;
    this.#counts.set(principal, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(principal) ?? 1) - 1;
      if (left <= 0) this.#counts.delete(principal);
      else this.#counts.set(principal, left);
    };
  }

  /** Principals with a live connection (bounded by the connections themselves). */
  get size(): number { return this.#counts.size; }
}
