/**
 * Checks recording files against their seals: the seals chained in each
 * session's close event first (they cannot be edited without breaking the
 * chain), the session row's copy second; recordings of sessions that never
 * closed (live, or their node crashed) against their last checkpoint sidecar.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseSealFile, parseSessionSeals, sealPath, type RecordingSeal } from '../recording/seal.js';
import type { EventRowData } from './events.js';
import type { Problem } from './problem.js';

/** The session columns the check reads. */
export interface SessionRowData {
  id: number;
  status: string;
  seals: string | null;
  /** JSON list of the recording paths (named while the session is live). */
  recordings: string | null;
}

/** Where a stored recording path is read: under `logsDir` by its file name, or as stored. */
function recordingFile(stored: string, logsDir: string | null): string {
  return logsDir === null ? stored : join(logsDir, basename(stored));
}

async function sha256Prefix(path: string, length: number): Promise<string> {
  const h = createHash('sha256');
  if (length > 0) for await (const chunk of createReadStream(path, { start: 0, end: length - 1 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Checks one file against its seal; a problem of `sessionId`, or null. With
 * `prefix` (a live checkpoint) the file may have grown since.
 */
async function checkRecording(sessionId: number, seal: RecordingSeal, logsDir: string | null, prefix = false): Promise<Problem | null> {
  const path = recordingFile(seal.path, logsDir);
  const name = basename(seal.path);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return seal.length === 0 ? null : { subject: 'session', id: sessionId, kind: 'missing recording', detail: `${name} is missing` };
  }
  if (size < seal.length) {
    return { subject: 'session', id: sessionId, kind: 'truncated recording', detail: `${name} has ${size} bytes, sealed with ${seal.length}` };
  }
  if (size > seal.length && !prefix) {
    return { subject: 'session', id: sessionId, kind: 'edited recording', detail: `${name} has ${size} bytes, sealed with ${seal.length}` };
  }
  if ((await sha256Prefix(path, seal.length)) !== seal.sha256) {
    return { subject: 'session', id: sessionId, kind: 'edited recording', detail: `${name} does not match its sealed hash` };
  }
  return null;
}

/** The seals a chained `session close` event recorded, with its session id; null for other events. */
export function closeEventSeals(e: EventRowData): { sessionId: number; seals: RecordingSeal[] } | null {
  if (e.seq === null || e.domain !== 'session' || e.action !== 'close' || e.args === null) return null;
  try {
    const args = JSON.parse(e.args) as { session_id?: unknown; seals?: unknown };
    const seals = parseSessionSeals(JSON.stringify(args.seals ?? null));
    return typeof args.session_id === 'number' && seals ? { sessionId: args.session_id, seals } : null;
  } catch {
    return null; // Not JSON: the chain check reports an edited event.
  }
}

function sameSeals(a: readonly RecordingSeal[], b: readonly RecordingSeal[]): boolean {
  return a.length === b.length && a.every((s, i) => s.path === b[i]?.path && s.length === b[i]?.length && s.sha256 === b[i]?.sha256);
}

/** Result of {@link checkRecordings}. */
export interface RecordingsResult {
  verified: number;
  problem: Problem | null;
  /**
   * Ids of closed sessions with recordings (named or sealed in their row) but
   * no chained close event: checked against their row's seals only.
   */
  unchained?: number[];
}

/**
 * Recordings of closed sessions: every file sealed in a chained close event
 * (whatever its row says now; a closed row must agree with the event), then the
 * files of closed rows without such an event against the row's seals. Stops at
 * the first problem.
 */
export async function checkRecordings(
  sessions: readonly SessionRowData[], chained: ReadonlyMap<number, RecordingSeal[]>, logsDir: string | null,
): Promise<RecordingsResult> {
  const rows = new Map(sessions.map((s) => [s.id, s]));
  const work: [number, RecordingSeal[]][] = [];
  for (const [id, seals] of chained) {
    const row = rows.get(id);
    if (seals.length > 0 && !row) return { verified: 0, problem: { subject: 'session', id, kind: 'deleted', detail: 'its row is gone but its close event remains' } };
    // A row read before its session closed is still active: only a closed row must agree.
    if (row?.status === 'closed' && !sameSeals(parseSessionSeals(row.seals) ?? [], seals)) {
      return { verified: 0, problem: { subject: 'session', id, kind: 'edited', detail: 'its recording seals differ from its close event' } };
    }
    work.push([id, seals]);
  }
  const unchained: number[] = [];
  for (const s of sessions) {
    if (s.status !== 'closed' || chained.has(s.id)) continue;
    const parsed = parseSessionSeals(s.seals);
    const seals = parsed ?? [];
    // Blanked or garbled seals must not hide the session: its recordings are named in the row too.
    if (seals.length > 0 || listOf(s.recordings).length > 0 || (s.seals !== null && parsed === null)) unchained.push(s.id);
    work.push([s.id, seals]);
  }
  let verified = 0;
  for (const [id, seals] of work.sort((a, b) => a[0] - b[0])) {
    for (const seal of seals) {
      const problem = await checkRecording(id, seal, logsDir);
      if (problem) return { verified, problem, unchained };
      verified++;
    }
  }
  return { verified, problem: null, unchained };
}

/** A sidecar is a hundred bytes; a larger file is not one. */
const maxSealFileBytes = 4096;

/** The last checkpoint seal beside a recording, or null when there is none (never checkpointed, or unreadable). */
async function sidecarSeal(stored: string, logsDir: string | null): Promise<RecordingSeal | null> {
  const path = sealPath(recordingFile(stored, logsDir));
  try {
    if ((await stat(path)).size > maxSealFileBytes) return null;
    const seal = parseSealFile(await readFile(path, 'utf8'));
    return seal ? { path: stored, length: seal.length, sha256: seal.sha256 } : null;
  } catch {
    return null;
  }
}

function listOf(text: string | null): string[] {
  try {
    const v: unknown = text ? JSON.parse(text) : [];
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Recordings of sessions that are not closed: each must still begin with the
 * bytes its last checkpoint sealed (it may have grown since). Unsigned: this
 * catches a cut or edited file, not someone who rewrites the sidecar too.
 */
export async function checkLiveRecordings(sessions: readonly SessionRowData[], logsDir: string | null): Promise<RecordingsResult> {
  let verified = 0;
  for (const s of [...sessions].sort((a, b) => a.id - b.id)) {
    if (s.status === 'closed') continue;
    for (const stored of listOf(s.recordings)) {
      const seal = await sidecarSeal(stored, logsDir);
      if (!seal) continue;
      const problem = await checkRecording(s.id, seal, logsDir, true);
      if (problem) return { verified, problem: { ...problem, detail: `${problem.detail} (live checkpoint)` } };
      verified++;
    }
  }
  return { verified, problem: null };
}
