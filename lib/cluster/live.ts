/** Byte counters of one live session (a relay's running totals). */
export interface LiveCounters {
  readonly bytesUp: number;
  readonly bytesDown: number;
}

/**
 * The sessions this process relays right now, by session row id: what the
 * node link answers about, and what tells the reaper which of this node's
 * `active` rows still have a live relay behind them.
 */
export class LiveSessions {
  readonly #byId = new Map<number, LiveCounters>();

  /** Registers a session once its row exists. */
  add(id: number, counters: LiveCounters): void {
    this.#byId.set(id, counters);
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
