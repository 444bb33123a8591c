/**
 * A bound on what relayed channels hold, per user and per node, for readers
 * that stopped reading.
 *
 * Every relayed channel is bounded (lib/ssh/pump.ts: ~3 MiB when its far end
 * never reads, because the window ssh2 granted at open cannot be taken back),
 * but one enrolled key may hold `--max-channels` of them on each of
 * `--max-user-connections` connections: hundreds of gigabytes. Pausing the
 * sockets instead can deadlock (both directions over budget, each waiting for
 * a window adjust on the paused socket), so the budget cuts channels:
 *
 * - a pump that waits for its destination to drain reports itself stalled,
 *   and reports again once it moves: only waiting pumps are tracked, so the
 *   bookkeeping costs nothing while data flows;
 * - a sweep every second sums, per user and for the node, what the stalled
 *   pumps hold (their source's read-ahead and their destination's queue);
 * - over a budget, it closes the channels stalled the longest, as long as
 *   they have been stalled for `minStallMs`, until the sum is back under it
 *   (over the node's budget, the heaviest user's first). Channels that move
 *   are never cut, however much they carry;
 * - a cut channel stops relaying and drops what it read ahead; it no longer
 *   counts, unless it is still open after `graceMs` (the client or the
 *   target never answered the close, so ssh2 keeps it and what it queued):
 *   then the connection ends, which frees both for sure.
 *
 * The decision is pure ({@link chooseCuts}); the ledger owns the timer and
 * the bookkeeping.
 */
import type { Logger } from '../log.js';
import type { Held } from '../ssh/pump.js';

export type { Held, StallSink } from '../ssh/pump.js';

/** The owner of stalled pumps (a session, a forward): closes its channels when it is cut. */
export interface Cuttable {
  cut(heldBytes: number, stalledMs: number): void;
}

/** The budgets and pace of the sweep. */
export interface StallLimits {
  /** Bytes one user's stalled channels may hold, all its connections on this node together. */
  perUserBytes: number;
  /** Bytes every user's stalled channels may hold together on this node. */
  perNodeBytes: number;
  /** A channel is cut only once it has waited this long. */
  minStallMs: number;
  /** A cut channel still open after this long ends its connection. */
  graceMs: number;
  /** Interval between two sweeps while anything is stalled. */
  sweepMs: number;
}

/** The defaults, documented in SECURITY.md. */
export const defaultStallLimits: StallLimits = Object.freeze({
  perUserBytes: 64 * 1024 * 1024,
  perNodeBytes: 1024 * 1024 * 1024,
  minStallMs: 10_000,
  graceMs: 5_000,
  sweepMs: 1_000,
});

/** One stalled owner as the decision sees it. */
export interface StallView {
  user: string;
  held: number;
  /** When its longest-waiting pump started waiting. */
  since: number;
  /** When it was cut, if it was. */
  cutAt: number | undefined;
}

/** What a sweep does: owners to cut and owners whose connection to end (indices into the views). */
export interface StallVerdict {
  cut: number[];
  drop: number[];
}

/** Pure: which stalled owners to cut, and which cut ones to end the connection of. */
export function chooseCuts(views: readonly StallView[], now: number, limits: StallLimits): StallVerdict {
  const cut: number[] = [];
  const drop: number[] = [];
  const perUser = new Map<string, number>();
  let node = 0;
  const eligible: { v: StallView; i: number }[] = [];
  views.forEach((v, i) => {
    // A cut owner's buffers go with its close: counting them would cut more while the close is on its way.
    if (v.cutAt !== undefined) {
      if (now - v.cutAt >= limits.graceMs) drop.push(i);
      return;
    }
    perUser.set(v.user, (perUser.get(v.user) ?? 0) + v.held);
    node += v.held;
    if (now - v.since >= limits.minStallMs) eligible.push({ v, i });
  });
  // Longest waiting first; of equal waits, the largest.
  eligible.sort((a, b) => a.v.since - b.v.since || b.v.held - a.v.held);
  const take = (e: { v: StallView; i: number }): void => {
    cut.push(e.i);
    perUser.set(e.v.user, (perUser.get(e.v.user) ?? 0) - e.v.held);
    node -= e.v.held;
  };
  const left: { v: StallView; i: number }[] = [];
  for (const e of eligible) {
    if ((perUser.get(e.v.user) ?? 0) > limits.perUserBytes) take(e);
    else left.push(e);
  }
  while (node > limits.perNodeBytes && left.length > 0) {
    // The heaviest user that still has a channel to cut loses its longest-waiting one.
    let pick = 0;
    let heaviest = -1;
    left.forEach((e, k) => {
      const total = perUser.get(e.v.user) ?? 0;
      if (total > heaviest) { heaviest = total; pick = k; }
    });
    take(left.splice(pick, 1)[0]);
  }
  return { cut, drop };
}

/** One stalled owner: its waiting pumps (and since when each waits), and when it was cut. */
interface OwnerStall {
  pumps: Map<Held, number>;
  cutAt: number | undefined;
}

/** What the ledger needs. */
export interface StallLedgerDeps {
  log: Logger;
  now: () => number;
  limits?: StallLimits;
}

/** The node's stalled channels, by connection; sweeps while any is stalled. */
export class StallLedger {
  readonly limits: StallLimits;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Accounts with at least one stalled owner. */
  readonly #stalled = new Set<StallAccount>();
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: StallLedgerDeps) {
    this.limits = deps.limits ?? defaultStallLimits;
    this.#log = deps.log;
    this.#now = deps.now;
  }

  /** The account of one connection of `user`; `drop` ends that connection. */
  account(user: string, drop: (reason: string) => void): StallAccount {
    return new StallAccount(this, user, drop);
  }

  now(): number { return this.#now(); }

  /**
   * An account has its first stalled owner, or its last one left. The timer
   * stops at the first sweep that finds nothing stalled, not here: a bulk
   * transfer waits for its reader and moves on thousands of times per GiB.
   */
  changed(a: StallAccount, stalled: boolean): void {
    if (!stalled) { this.#stalled.delete(a); return; }
    this.#stalled.add(a);
    if (this.#timer) return;
    this.#timer = setInterval(() => this.sweep(), this.limits.sweepMs);
    this.#timer.unref();
  }

  /** Owners stalled now, all connections (tests, metrics). */
  get stalledOwners(): number {
    let n = 0;
    for (const a of this.#stalled) n += a.size;
    return n;
  }

  /** One sweep: cuts what the budgets say, ends the connections whose cut channels stayed open. */
  sweep(): void {
    if (this.#stalled.size === 0) { this.close(); return; }
    const now = this.#now();
    const found: { view: StallView; account: StallAccount; owner: Cuttable; stall: OwnerStall }[] = [];
    for (const account of this.#stalled) {
      account.each((owner, stall) => {
        let held = 0;
        let since = now;
        for (const [p, t] of stall.pumps) { held += p.heldBytes; if (t < since) since = t; }
        found.push({ view: { user: account.user, held, since, cutAt: stall.cutAt }, account, owner, stall });
      });
    }
    const verdict = chooseCuts(found.map((f) => f.view), now, this.limits);
    const cutsByUser = new Map<string, { channels: number; bytes: number }>();
    for (const f of verdict.cut.map((i) => found[i])) {
      f.stall.cutAt = now;
      const c = cutsByUser.get(f.view.user) ?? { channels: 0, bytes: 0 };
      c.channels++;
      c.bytes += f.view.held;
      cutsByUser.set(f.view.user, c);
      f.owner.cut(f.view.held, now - f.view.since);
    }
    // One line per user and sweep: a client with thousands of stalled channels must not flood the log.
    for (const [user, c] of cutsByUser) {
      this.#log.warn('relayed channels cut: their readers stopped and the budget is spent', {
        user, channels: c.channels, heldBytes: c.bytes, perUserBytes: this.limits.perUserBytes, perNodeBytes: this.limits.perNodeBytes,
      });
    }
    const dropped = new Set<StallAccount>();
    for (const f of verdict.drop.map((i) => found[i])) {
      if (dropped.has(f.account)) continue;
      dropped.add(f.account);
      this.#log.warn('connection ended: a cut channel did not close', { user: f.account.user, graceMs: this.limits.graceMs });
      f.account.drop();
    }
  }

  /** Stops the sweep (server shutdown). */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stalled.clear();
  }
}

/**
 * The stalled channels of one connection. Created with the connection; holds
 * nothing until one of its pumps waits.
 */
export class StallAccount {
  readonly user: string;
  readonly #ledger: StallLedger;
  readonly #drop: (reason: string) => void;
  #owners: Map<Cuttable, OwnerStall> | undefined;
  #closed = false;

  constructor(ledger: StallLedger, user: string, drop: (reason: string) => void) {
    this.#ledger = ledger;
    this.user = user;
    this.#drop = drop;
  }

  /** Stalled owners of this connection. */
  get size(): number { return this.#owners?.size ?? 0; }

  /** `p`, a pump of `owner`, waits for its destination. */
  stalled(p: Held, owner: Cuttable): void {
    if (this.#closed) return;
    this.#owners ??= new Map();
    let stall = this.#owners.get(owner);
    if (!stall) {
      stall = { pumps: new Map(), cutAt: undefined };
      this.#owners.set(owner, stall);
      if (this.#owners.size === 1) this.#ledger.changed(this, true);
    }
    if (!stall.pumps.has(p)) stall.pumps.set(p, this.#ledger.now());
  }

  /** `p` moves again. */
  moving(p: Held, owner: Cuttable): void {
    const stall = this.#owners?.get(owner);
    if (!stall) return;
    stall.pumps.delete(p);
    if (stall.pumps.size === 0) this.forget(owner);
  }

  /** `owner` closed (or moves again): nothing of it is tracked any more. */
  forget(owner: Cuttable): void {
    const owners = this.#owners;
    if (!owners?.delete(owner)) return;
    if (owners.size === 0) this.#ledger.changed(this, false);
  }

  /** Calls `fn` for every stalled owner (the ledger's sweep). */
  each(fn: (owner: Cuttable, stall: OwnerStall) => void): void {
    if (this.#owners) for (const [owner, stall] of this.#owners) fn(owner, stall);
  }

  /** Ends the connection (a cut channel stayed open). */
  drop(): void {
    this.#drop('the connection held too much data for channels that stopped reading');
    this.close();
  }

  /** The connection ended: its stalls are forgotten. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owners && this.#owners.size > 0) this.#ledger.changed(this, false);
    this.#owners = undefined;
  }
}
