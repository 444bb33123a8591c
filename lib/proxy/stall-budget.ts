/**
 * A bound on what relayed channels hold, per user and per node, for readers
 * that stopped reading (or read too slowly to turn their backlog over).
 *
 * Every relayed channel is bounded (lib/ssh/pump.ts: ~3 MiB when its far end
 * never reads, because the window ssh2 granted at open cannot be taken back),
 * but one enrolled key may hold `--max-channels` of them on each of
 * `--max-user-connections` connections: hundreds of gigabytes. Pausing the
 * sockets instead can deadlock (both directions over budget, each waiting for
 * a window adjust on the paused socket), so the budget cuts channels:
 *
 * - a pump that waits for its destination to drain reports itself once; from
 *   then on its owner (a session, a forward) is watched: only channels that
 *   have waited are, so the bookkeeping costs nothing while data flows freely;
 * - a sweep every second sums, per user and for the node, what the watched
 *   pumps hold (their source's read-ahead and their destination's queue). An
 *   owner is *stalled since* the last time it turned its backlog over: it
 *   moved at least as many bytes as it holds. Reading a little now and then
 *   does not reset it (a reader that takes 10 s to drain 3 MiB is as good as
 *   stopped); a transfer, however large or slow, turns over within seconds.
 *   An owner that is not waiting and holds nearly nothing stops being watched;
 * - over a budget, it closes the channels stalled the longest, as long as
 *   they have been stalled for `minStallMs`, until the sum is back under it.
 *   The node's budget counts only such old stalls, and takes them from the
 *   user holding the most of them first, so nobody's fresh or moving
 *   channels make another user's channels go;
 * - a cut channel stops relaying and drops what it read ahead; it no longer
 *   counts, unless it is still open after `graceMs` (the client or the
 *   target never answered the close, so ssh2 keeps it and what it queued):
 *   then the connection ends, which frees both for sure.
 *
 * The decision is pure (stall-decision.ts); the ledger here owns the timer
 * and the bookkeeping.
 */
import type { Logger } from '../log.js';
import type { Held } from '../ssh/pump.js';
import { chooseCuts, defaultStallLimits, type StallLimits, type StallView } from './stall-decision.js';

/** The owner of watched pumps (a session, a forward): closes its channels when it is cut. */
export interface Cuttable {
  /** `audited`: whether this cut is written to the audit trail (at most {@link maxCutEvents} per connection). */
  cut(heldBytes: number, stalledMs: number, audited: boolean): void;
}

/** Cuts written to the audit trail per connection; the log line per user and sweep goes on. */
export const maxCutEvents = 64;

/** An owner not waiting and holding less than this is no longer watched. */
const drainedBytes = 64 * 1024;

/** One watched owner: its pumps (with what each had moved when its stall began), since when, and when it was cut. */
interface OwnerStall {
  pumps: Map<Held, number>;
  since: number;
  cutAt: number | undefined;
}

/** Where the ledger counts what it did (lib/metrics). */
export interface StallCounter {
  stallCut(what: 'channel' | 'connection', n: number): void;
}

/** What the ledger needs. */
export interface StallLedgerDeps {
  log: Logger;
  now: () => number;
  limits?: StallLimits;
  metrics?: StallCounter;
}

/** The node's watched channels, by connection; sweeps while any is watched. */
export class StallLedger {
  readonly limits: StallLimits;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #metrics: StallCounter | undefined;
  /** Accounts with at least one watched owner. */
  readonly #stalled = new Set<StallAccount>();
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: StallLedgerDeps) {
    this.limits = deps.limits ?? defaultStallLimits;
    this.#log = deps.log;
    this.#now = deps.now;
    this.#metrics = deps.metrics;
  }

  /** The account of one connection of `user`; `drop` ends that connection. */
  account(user: string, drop: (reason: string) => void): StallAccount {
    return new StallAccount(this, user, drop);
  }

  now(): number { return this.#now(); }

  /** An account has its first watched owner, or its last one left. */
  changed(a: StallAccount, stalled: boolean): void {
    if (!stalled) { this.#stalled.delete(a); return; }
    this.#stalled.add(a);
    if (this.#timer) return;
    this.#timer = setInterval(() => this.sweep(), this.limits.sweepMs);
    this.#timer.unref();
  }

  /** Owners watched now, all connections (tests, metrics). */
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
    for (const account of [...this.#stalled]) {
      for (const [owner, stall] of account.owners()) {
        const view = observe(stall, now);
        if (view === 'drained') { account.forget(owner); continue; }
        found.push({ view: { user: account.user, held: view.held, since: stall.since, cutAt: stall.cutAt }, account, owner, stall });
      }
    }
    const verdict = chooseCuts(found.map((f) => f.view), now, this.limits);
    const cutsByUser = new Map<string, { channels: number; bytes: number }>();
    for (const f of verdict.cut.map((i) => found[i])) {
      f.stall.cutAt = now;
      const c = cutsByUser.get(f.view.user) ?? { channels: 0, bytes: 0 };
      c.channels++;
      c.bytes += f.view.held;
      cutsByUser.set(f.view.user, c);
      f.owner.cut(f.view.held, now - f.view.since, f.account.audits());
    }
    if (verdict.cut.length > 0) this.#metrics?.stallCut('channel', verdict.cut.length);
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
      this.#metrics?.stallCut('connection', 1);
      f.account.drop();
    }
  }

  /** Stops the sweep (server shutdown, or nothing left to watch). */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stalled.clear();
  }
}

/**
 * What an owner holds now; its stall starts again when it turned its backlog
 * over since the last start. 'drained': not waiting, holding nearly nothing.
 */
function observe(stall: OwnerStall, now: number): { held: number } | 'drained' {
  let held = 0;
  let moved = 0;
  let waiting = false;
  for (const [p, base] of stall.pumps) {
    held += p.heldBytes;
    moved += p.movedBytes - base;
    if (p.waiting) waiting = true;
  }
  if (stall.cutAt !== undefined) return { held };
  if (!waiting && held < drainedBytes) return 'drained';
  if (moved >= held) {
    stall.since = now;
    for (const p of stall.pumps.keys()) stall.pumps.set(p, p.movedBytes);
  }
  return { held };
}

/**
 * The watched channels of one connection. Created with the connection; holds
 * nothing until one of its pumps waits.
 */
export class StallAccount {
  readonly user: string;
  readonly #ledger: StallLedger;
  readonly #drop: (reason: string) => void;
  #owners: Map<Cuttable, OwnerStall> | undefined;
  #closed = false;
  #cuts = 0;

  constructor(ledger: StallLedger, user: string, drop: (reason: string) => void) {
    this.#ledger = ledger;
    this.user = user;
    this.#drop = drop;
  }

  /** Watched owners of this connection. */
  get size(): number { return this.#owners?.size ?? 0; }

  /** `p`, a pump of `owner`, waits for its destination: the owner is watched from now on (once per pump). */
  stalled(p: Held, owner: Cuttable): void {
    if (this.#closed) return;
    this.#owners ??= new Map();
    let stall = this.#owners.get(owner);
    if (!stall) {
      stall = { pumps: new Map(), since: this.#ledger.now(), cutAt: undefined };
      this.#owners.set(owner, stall);
      if (this.#owners.size === 1) this.#ledger.changed(this, true);
    }
    if (!stall.pumps.has(p)) stall.pumps.set(p, p.movedBytes);
  }

  /** `owner` closed, or drained: nothing of it is watched any more. */
  forget(owner: Cuttable): void {
    const owners = this.#owners;
    if (!owners?.delete(owner)) return;
    if (owners.size === 0) this.#ledger.changed(this, false);
  }

  /** The watched owners (the ledger's sweep). */
  owners(): [Cuttable, OwnerStall][] {
    return this.#owners ? [...this.#owners] : [];
  }

  /** Whether the next cut is written to the audit trail (the first {@link maxCutEvents} of the connection are). */
  audits(): boolean {
    return ++this.#cuts <= maxCutEvents;
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
