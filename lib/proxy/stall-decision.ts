/**
 * The stall budget's decision (stall-budget.ts has the bookkeeping): its
 * limits, and which stalled channels a sweep cuts. Pure: no I/O, no clock.
 *
 * Per user: over its budget, its channels stalled the longest (at least
 * `minStallMs`) go until it is under. Per node: only stalls old enough to
 * cut count, and they are taken from the user holding the most of them first,
 * so nobody's fresh or moving channels make another user's channels go. A
 * cut channel no longer counts (its buffers go with its close); one still
 * open after `graceMs` has its connection ended.
 */

/** The budgets and pace of the sweep. */
export interface StallLimits {
  /** Bytes one user's stalled channels may hold, all its connections on this node together. */
  perUserBytes: number;
  /** Bytes every user's channels stalled for `minStallMs` may hold together on this node. */
  perNodeBytes: number;
  /** A channel is cut only once it has been stalled this long. */
  minStallMs: number;
  /** A cut channel still open after this long ends its connection. */
  graceMs: number;
  /** Interval between two sweeps while anything is watched. */
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

/** One watched owner as the decision sees it. */
export interface StallView {
  user: string;
  held: number;
  /** Since when it has been stalled (the last time it turned its backlog over). */
  since: number;
  /** When it was cut, if it was. */
  cutAt: number | undefined;
}

/** What a sweep does: owners to cut and owners whose connection to end (indices into the views). */
export interface StallVerdict {
  cut: number[];
  drop: number[];
}

interface Candidate { v: StallView; i: number }

/** Pure: which stalled owners to cut, and which cut ones to end the connection of. */
export function chooseCuts(views: readonly StallView[], now: number, limits: StallLimits): StallVerdict {
  const cut: number[] = [];
  const drop: number[] = [];
  const perUser = new Map<string, number>();
  const eligible: Candidate[] = [];
  views.forEach((v, i) => {
    // A cut owner's buffers go with its close: counting them would cut more while the close is on its way.
    if (v.cutAt !== undefined) {
      if (now - v.cutAt >= limits.graceMs) drop.push(i);
      return;
    }
    perUser.set(v.user, (perUser.get(v.user) ?? 0) + v.held);
    if (v.held > 0 && now - v.since >= limits.minStallMs) eligible.push({ v, i });
  });
  // Longest stalled first; of equal waits, the largest.
  eligible.sort((a, b) => a.v.since - b.v.since || b.v.held - a.v.held);
  // Per user, then per node: what is left after the users' own budgets, by user, oldest first.
  const old = new Map<string, Candidate[]>();
  let oldBytes = 0;
  for (const e of eligible) {
    const total = perUser.get(e.v.user) ?? 0;
    if (total > limits.perUserBytes) {
      cut.push(e.i);
      perUser.set(e.v.user, total - e.v.held);
      continue;
    }
    const list = old.get(e.v.user) ?? [];
    list.push(e);
    old.set(e.v.user, list);
    oldBytes += e.v.held;
  }
  const oldOf = new Map([...old].map(([user, list]) => [user, list.reduce((n, e) => n + e.v.held, 0)]));
  while (oldBytes > limits.perNodeBytes) {
    // The user holding the most in old stalls loses its longest-stalled one.
    let user: string | undefined;
    let most = 0;
    for (const [u, bytes] of oldOf) if (bytes > most) { most = bytes; user = u; }
    const e = user === undefined ? undefined : old.get(user)?.shift();
    if (user === undefined || !e) break;
    cut.push(e.i);
    oldOf.set(user, most - e.v.held);
    oldBytes -= e.v.held;
  }
  return { cut, drop };
}

