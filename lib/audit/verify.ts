/**
 * The audit verifier: reads the database (SELECTs only) and the recordings,
 * checks the event chain, the checkpoint signatures and every closed
 * session's recordings, and reports the first problem of each kind.
 */
import type { Tx } from '../db/database.js';
import {
  allCheckpoints, chainedEventsAfter, countUnchained, sessionSeals, storedPublicKeys, unchainedEventAfter,
} from '../db/chain/read.js';
import type { RecordingSeal } from '../recording/seal.js';
import { ChainWalker, checkCheckpoints, unsignedTail } from './events.js';
import { formatProblem, type Problem } from './problem.js';
import { checkLiveRecordings, checkRecordings, closeEventSeals } from './recordings.js';

/** Options of {@link verifyAudit}. */
export interface VerifyOptions {
  /** Recordings are looked up here by file name (null: at their stored paths). */
  logsDir: string | null;
  /** Trusted signing keys (base64 SPKI DER); null trusts the keys stored in the database. */
  trustedKeys: readonly string[] | null;
}

/** What the verifier found. */
export interface VerifyReport {
  events: number;
  recordings: number;
  problems: Problem[];
  notes: string[];
}

/** Events read per query: the walk holds one page at a time. */
const pageSize = 2_000;

async function walkEvents(m: Tx, walker: ChainWalker, seals: Map<number, RecordingSeal[]>): Promise<void> {
  let after = 0;
  for (;;) {
    const page = await chainedEventsAfter(m, after, pageSize);
    for (const e of page) {
      walker.push(e);
      const close = closeEventSeals(e);
      if (close) seals.set(close.sessionId, close.seals);
    }
    const last = page.at(-1)?.seq;
    if (page.length < pageSize || last === null || last === undefined) return;
    after = last;
  }
}

/**
 * Runs every check. Checkpoints are read before events and sessions before
 * events, so a portal writing meanwhile cannot make a consistent trail look broken.
 */
export async function verifyAudit(m: Tx, o: VerifyOptions): Promise<VerifyReport> {
  const checkpoints = await allCheckpoints(m);
  const keys = await storedPublicKeys(m);
  const sessions = await sessionSeals(m);
  const walker = new ChainWalker(new Set(checkpoints.map((c) => c.seq)));
  const seals = new Map<number, RecordingSeal[]>();
  await walkEvents(m, walker, seals);
  const problems: Problem[] = [];
  const chain = walker.finish(walker.firstId === undefined ? undefined : await unchainedEventAfter(m, walker.firstId));
  if (chain) problems.push(chain);
  const trusted = new Set(o.trustedKeys ?? keys);
  const signed = checkCheckpoints(checkpoints, walker.signed, trusted);
  if (signed) problems.push(signed);
  const rec = await checkRecordings(sessions, seals, o.logsDir);
  if (rec.problem) problems.push(rec.problem);
  const live = rec.problem ? { verified: 0, problem: null } : await checkLiveRecordings(sessions, o.logsDir);
  if (live.problem) problems.push(live.problem);
  const notes: string[] = [];
  const tail = unsignedTail(checkpoints, walker.count);
  if (tail > 0) notes.push(`${tail} newest event${tail > 1 ? 's are' : ' is'} not yet covered by a signed checkpoint (hash chain only)`);
  const legacy = await countUnchained(m);
  if (legacy > 0) notes.push(`${legacy} event${legacy > 1 ? 's' : ''} older than the hash chain (written before it existed, or imported) cannot be verified`);
  if (live.verified > 0) notes.push(`${live.verified} recording${live.verified > 1 ? 's' : ''} of sessions not closed checked up to their last checkpoint`);
  return { events: walker.count, recordings: rec.verified + live.verified, problems, notes };
}

/** The verifier's output: notes, then `OK: …` or one `FAILED: …` line per problem. */
export function formatReport(r: VerifyReport): string {
  const lines = r.notes.map((n) => `note: ${n}`);
  if (r.problems.length === 0) lines.push(`OK: ${r.events} events, ${r.recordings} recordings verified`);
  else for (const p of r.problems) lines.push(`FAILED: ${formatProblem(p)}`);
  return lines.join('\n') + '\n';
}
