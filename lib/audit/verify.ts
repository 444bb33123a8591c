/**
 * The audit verifier: reads the database (SELECTs only) and the recordings,
 * checks the event chain, the checkpoint signatures and every closed
 * session's recordings, and reports the first problem of each kind.
 */
import type { Tx } from '../db/database.js';
import {
  allCheckpoints, countUnchained, newestSeq, sequencedEvents, sessionSeals, storedPublicKeys, unchainedEventAfter,
} from '../db/chain/read.js';
import { defaultCheckpointEvery } from '../db/chain/signer.js';
import { SessionCloses } from './closes.js';
import { CheckpointCoverage } from './coverage.js';
import { ChainWalker, checkCheckpoints, unsignedTail, type EventRowData } from './events.js';
import { checkHeads, formatHead, type KeptHead } from './heads.js';
import { formatProblem, type Problem } from './problem.js';
import { checkLiveRecordings, checkRecordings } from './recordings.js';

/** Options of {@link verifyAudit}. */
export interface VerifyOptions {
  /** Recordings are looked up here by file name (null: at their stored paths). */
  logsDir: string | null;
  /** Trusted signing keys (base64 SPKI DER); null trusts the keys stored in the database. */
  trustedKeys: readonly string[] | null;
  /** Heads kept outside the portal (`--head`): the chain must still hold each. */
  heads?: readonly KeptHead[];
}

/** What the verifier found. */
export interface VerifyReport {
  events: number;
  recordings: number;
  problems: Problem[];
  notes: string[];
  /** The newest event verified (null: no chained event). */
  head: KeptHead | null;
}

/** Events read per query: the walk holds one page at a time. */
const pageSize = 2_000;

/** Something fed every event of the walk, in sequence order. */
interface EventCheck {
  push(e: EventRowData): void;
}

/** Feeds every event with a sequence number (even one below 1) to `checks`, in order, one page at a time. */
async function walkEvents(m: Tx, checks: readonly EventCheck[]): Promise<void> {
  let after: number | null = null;
  for (;;) {
    const page = await sequencedEvents(m, after, pageSize);
    for (const e of page) for (const c of checks) c.push(e);
    const last = page.at(-1)?.seq;
    if (page.length < pageSize || last === null || last === undefined) return;
    after = last;
  }
}

/**
 * Runs every check. The newest sequence number is read first, then
 * checkpoints, then sessions, then events, so a portal writing meanwhile
 * cannot make a consistent trail look broken (an event up to that number was
 * committed with its checkpoint).
 */
export async function verifyAudit(m: Tx, o: VerifyOptions): Promise<VerifyReport> {
  const upTo = await newestSeq(m);
  const checkpoints = await allCheckpoints(m);
  const keys = await storedPublicKeys(m);
  const sessions = await sessionSeals(m);
  const signedSeqs = new Set(checkpoints.map((c) => c.seq));
  const heads = o.heads ?? [];
  const walker = new ChainWalker(new Set([...signedSeqs, ...heads.map((h) => h.seq)]));
  const closes = new SessionCloses();
  const coverage = new CheckpointCoverage(signedSeqs, upTo, defaultCheckpointEvery);
  await walkEvents(m, [walker, closes, coverage]);
  const problems: Problem[] = [];
  const chain = walker.finish(walker.firstId === undefined ? undefined : await unchainedEventAfter(m, walker.firstId));
  if (chain) problems.push(chain);
  if (closes.problem) problems.push(closes.problem);
  const trusted = new Set(o.trustedKeys ?? keys);
  const signed = checkCheckpoints(checkpoints, walker.signed, trusted);
  if (signed) problems.push(signed);
  if (coverage.problem) problems.push(coverage.problem);
  // A broken chain is named already; past the break, a kept head cannot be looked for.
  const kept = chain ? null : checkHeads(heads, walker.signed, walker.head);
  if (kept) problems.push(kept);
  const rec = await checkRecordings(sessions, closes.seals, o.logsDir);
  if (rec.problem) problems.push(rec.problem);
  const live = rec.problem ? { verified: 0, problem: null } : await checkLiveRecordings(sessions, o.logsDir);
  if (live.problem) problems.push(live.problem);
  const notes: string[] = [];
  const tail = unsignedTail(checkpoints, walker.head);
  if (tail > 0) notes.push(`${tail} newest event${tail > 1 ? 's are' : ' is'} not yet covered by a signed checkpoint (hash chain only)`);
  const legacy = await countUnchained(m);
  if (legacy > 0) notes.push(`${legacy} event${legacy > 1 ? 's' : ''} older than the hash chain (written before it existed, or imported) cannot be verified`);
  const unchained = rec.unchained ?? [];
  if (unchained.length > 0) {
    const n = unchained.length;
    const ids = unchained.slice(0, 5).join(', ') + (n > 5 ? ` and ${n - 5} more` : '');
    notes.push(`${n} closed session${n > 1 ? 's' : ''} with recordings ha${n > 1 ? 've' : 's'} no chained close event (${ids}; a node stopped before writing it, or it was deleted): checked against the session row's seals only, which nothing signs`);
  }
  if (live.verified > 0) notes.push(`${live.verified} recording${live.verified > 1 ? 's' : ''} of sessions not closed checked up to their last checkpoint`);
  return { events: walker.count, recordings: rec.verified + live.verified, problems, notes, head: walker.headHash === null ? null : { seq: walker.head, hash: walker.headHash } };
}

/**
 * The verifier's output: notes, then `OK: …` (after the verified head, `head:
 * SEQ:HASH`, to keep elsewhere for `--head`) or one `FAILED: …` line per problem.
 */
export function formatReport(r: VerifyReport): string {
  const lines = r.notes.map((n) => `note: ${n}`);
  if (r.problems.length === 0) {
    if (r.head) lines.push(`head: ${formatHead(r.head)}`);
    lines.push(`OK: ${r.events} events, ${r.recordings} recordings verified`);
  } else for (const p of r.problems) lines.push(`FAILED: ${formatProblem(p)}`);
  return lines.join('\n') + '\n';
}
