/**
 * One relayed pair of channels (a session, a forward) as the stall budget
 * (stall-budget.ts) sees it: its pumps report here when they start waiting
 * for a reader, and it closes both channels when the budget cuts it.
 *
 * It is forgotten once the client's channel closed: what the target's side
 * still holds then (paused, with data nobody will read) is garbage once ssh2
 * lets go of it, and keeping it watched would keep it alive. A cut pair is
 * forgotten only once both closed (the cut made both drain): a side that
 * never closes keeps it counted, and the budget then ends the connection.
 */
import type { Channel } from 'ssh2';
import { closeAndDrop } from '../ssh/link.js';
import type { Held, StallSink } from '../ssh/pump.js';
import type { Cuttable, StallAccount } from './stall-budget.js';
import type { RelayEvent } from './types.js';

/** Where a cut is reported (the relay). */
export interface CutEvents {
  emit(e: RelayEvent): void;
}

export class PairStalls implements StallSink, Cuttable {
  readonly #events: CutEvents;
  readonly #account: StallAccount;
  /** How the audit event names the pair (`session`, `direct-tcpip 10.0.0.5:80`, …). */
  readonly #channel: string;
  readonly #down: Channel;
  readonly #up: Channel;
  #downClosed = false;
  #upClosed = false;
  #cut = false;

  constructor(events: CutEvents, account: StallAccount, channel: string, down: Channel, up: Channel) {
    this.#events = events;
    this.#account = account;
    this.#channel = channel;
    this.#down = down;
    this.#up = up;
  }

  /** A pump waits for its reader (not counted once the client's channel closed: nothing waits there any more). */
  stalled(p: Held): void {
    if (!this.#downClosed) this.#account.stalled(p, this);
  }

  /** The client's channel closed. */
  downClosed(): void {
    this.#downClosed = true;
    if (!this.#cut || this.#upClosed) this.#account.forget(this);
  }

  /** The target's channel closed. */
  upClosed(): void {
    this.#upClosed = true;
    if (this.#cut && this.#downClosed) this.#account.forget(this);
  }

  /**
   * Closes both channels and drops what they read ahead (ssh2 emits a
   * channel's 'close' only once its readable side ended); the client's side
   * may not read a word of why, so the audit event says it.
   */
  cut(heldBytes: number, stalledMs: number, audited: boolean): void {
    this.#cut = true;
    if (audited) this.#events.emit({ type: 'channel-cut', channel: this.#channel, heldBytes, stalledMs });
    closeAndDrop(this.#down);
    closeAndDrop(this.#up);
  }
}
