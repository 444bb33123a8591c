/** Byte counters of one live session (a relay's running totals). */
export interface LiveCounters {
  readonly bytesUp: number;
  readonly bytesDown: number;
}

/** A live relay as the cluster sees it: its counters, and how to end it. */
export interface LiveRelay extends LiveCounters {
  /** Ends the relayed connection; `reason` is shown to its sessions and closes the row with it. */
  close(reason?: string, shown?: 'error' | 'as-is'): void;
}

/**
 * The sessions this process relays right now, by session row id: what the
 * node link answers about, and what tells the reaper which of this node's
 * `active` rows still have a live relay behind them.
 */
export class LiveSessions {
  readonly #byId = new Map<number, LiveRelay>();

  /** Registers a session once its row exists. */
  add(id: number, relay: LiveRelay): void {
    this.#byId.set(id, relay);
  }

  /** Ends a live session with `reason`; false when it is not live here. */
  stop(id: number, reason: string): boolean {
    const r = this.#byId.get(id);
    if (!r) return false;
    // The owner reads the spec's line itself: `session terminated by NAME: TEXT`.
    r.close(reason, 'as-is');
    return true;
  }

  /** Unregisters a session once its row is closed. */
  delete(id: number): void {
    this.#byId.delete(id);
  }

  /** The counters of a live session, as plain numbers; null when it is not live here. */
  counters(id: number): { bytesUp: number; bytesDown: number } | null {
    const c = this.#byId.get(id);
    return c ? { bytesUp: c.bytesUp, bytesDown: c.bytesDown } : null;
  }

  /** The ids of every live session (a snapshot). */
  ids(): Set<number> {
    return new Set(this.#byId.keys());
  }
}
