/** Event rows for the verifier's unit tests: valid chains built from a few fields per event. */
import type { EventRowData } from '../../../lib/audit/events.js';
import { eventHash, genesisHash } from '../../../lib/db/chain/encoding.js';

/** What a test chooses of one event. */
export interface EventSpec {
  domain?: string;
  action?: string;
  args?: string | null;
}

/** A valid chain, seq 1…n, ids 10, 20, 30…, each event from its spec (a host update by default). */
export function chainOf(specs: readonly EventSpec[], from: { seq: number; prevHash: string } = { seq: 1, prevHash: genesisHash }): EventRowData[] {
  const out: EventRowData[] = [];
  let prev = from.prevHash;
  for (const [i, spec] of specs.entries()) {
    const seq = from.seq + i;
    const f = { seq, prevHash: prev, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, seq)), chainAuthorId: 1,
      domain: spec.domain ?? 'host', action: spec.action ?? 'update', entity: `e${seq}`, args: spec.args === undefined ? `{"n":${seq}}` : spec.args, deletedAt: null };
    const hash = eventHash(f);
    out.push({ ...f, id: seq * 10, hash, authorId: 1 });
    prev = hash;
  }
  return out;
}

/** `n` host updates. */
export function plainChain(n: number): EventRowData[] {
  return chainOf(Array.from({ length: n }, () => ({})));
}

/** The args of a session close event sealing one recording. */
export function closeArgs(sessionId: number, length: number, sha256: string): string {
  return JSON.stringify({ session_id: sessionId, bytes_up: 1, bytes_down: 2, seals: [{ path: `/logs/session-${sessionId}.cast`, length, sha256 }] });
}
