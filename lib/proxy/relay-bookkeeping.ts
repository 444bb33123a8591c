/**
 * What a relay keeps of its downstream channels while they live: the open
 * session bridges (told why the connection ends) and the forwards still
 * reporting their totals (waited for, bounded, before the connection's close).
 */
import type { SessionBridge } from './session.js';
import type { ReasonLine } from './types.js';

/** The session bridges of one relay that have not closed yet. */
export class OpenSessions {
  #open = new Set<SessionBridge>();

  /** Keeps `bridge` until it closes, then calls `onClosed` with it. */
  add(bridge: SessionBridge, onClosed: (bridge: SessionBridge) => void): void {
    this.#open.add(bridge);
    void bridge.closed.then(() => {
      this.#open.delete(bridge);
      onClosed(bridge);
    });
  }

  /** Shows `line` on every open session. */
  notify(line: string): void {
    for (const s of this.#open) s.notify(line);
  }

  /** Ends every open session with `message` (if any); resolves once they all closed. */
  endAll(message: string | undefined, shown: ReasonLine): Promise<unknown> {
    for (const s of this.#open) if (message !== undefined) s.terminate(message, shown);
    return Promise.all([...this.#open].map((s) => s.closed));
  }
}

/** The forwards of one relay whose totals are not reported yet. */
export class PendingForwards {
  /** Made on the first forward: most connections have none. */
  #pending: Set<Promise<void>> | undefined;

  /** Keeps `done` until it settles. */
  track(done: Promise<void>): void {
    const pending = (this.#pending ??= new Set());
    pending.add(done);
    void done.finally(() => pending.delete(done));
  }

  /** Waits, at most `graceMs`, for the tracked forwards to settle (their channels close with the connection). */
  async settle(graceMs: number): Promise<void> {
    if (!this.#pending || this.#pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); });
    await Promise.race([Promise.all(this.#pending), bound]);
    clearTimeout(timer);
  }
}
