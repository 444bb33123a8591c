/**
 * Chain heads kept outside the portal. A hash chain cannot show that its whole
 * newest tail was deleted together with the checkpoints that signed it: what
 * is left still links. `verify` prints the head it verified (`head: SEQ:HASH`);
 * an operator who keeps that line elsewhere (a ticket, another machine) passes
 * it back with `--head`, and the verifier proves the trail still holds that
 * very event. Pure: rows in, the first problem out.
 */
import type { Problem } from './problem.js';

/** An event of the chain as an operator kept it: its sequence number and hash. */
export interface KeptHead {
  seq: number;
  hash: string;
}

/** The form `verify` prints and `--head` takes: `SEQ:HASH` (hex SHA-256). */
export function formatHead(h: KeptHead): string {
  return `${h.seq}:${h.hash}`;
}

/**
 * Reads `SEQ:HASH` (a leading `#` and surrounding blanks allowed, the hash in
 * either case); null when it is not one.
 */
export function parseHead(text: string): KeptHead | null {
  const m = /^#?(\d{1,15}):([0-9a-fA-F]{64})$/.exec(text.trim());
  if (!m) return null;
  const seq = Number(m[1]);
  if (!Number.isSafeInteger(seq) || seq < 1) return null;
  return { seq, hash: m[2].toLowerCase() };
}

/**
 * Checks kept heads against the chain: `bySeq` holds the events walked at the
 * heads' sequence numbers, `lastSeq` is the newest one walked. A head the chain
 * no longer reaches was deleted with everything after; one with another hash
 * means the chain up to it was rewritten.
 */
export function checkHeads(heads: readonly KeptHead[], bySeq: ReadonlyMap<number, { id: number; hash: string }>, lastSeq: number): Problem | null {
  for (const h of [...heads].sort((a, b) => a.seq - b.seq)) {
    const e = bySeq.get(h.seq);
    if (!e) {
      return { subject: 'head', id: h.seq, kind: 'deleted',
        detail: h.seq > lastSeq
          ? `the chain ends at #${lastSeq}, before this head kept outside the portal: the events after #${lastSeq} were deleted`
          : `event #${h.seq}, kept outside the portal, is missing from the chain` };
    }
    if (e.hash !== h.hash) {
      return { subject: 'event', id: e.id, kind: 'edited', detail: `the chain up to it was rewritten: the head kept outside the portal (#${h.seq}) has a different hash` };
    }
  }
  return null;
}
