/**
 * Checks of the event hash chain and its signed checkpoints (pure: rows in,
 * the first problem out).
 */
import { checkpointMessage, eventHash, genesisHash, type ChainedFields } from '../db/chain/encoding.js';
import { verifySignature } from '../db/chain/signer.js';
import type { Problem } from './problem.js';

/**
 * The event columns the check reads: the hashed fields as stored (a row
 * written before the chain has no `seq` or `prevHash`), plus the row's own.
 */
export interface EventRowData extends Omit<ChainedFields, 'seq' | 'prevHash'> {
  id: number;
  seq: number | null;
  prevHash: string | null;
  hash: string | null;
  authorId: number | null;
}

/** The checkpoint columns the check reads. */
export interface CheckpointRowData {
  id: number;
  seq: number;
  hash: string;
  node: string;
  createdAt: Date;
  publicKey: string;
  signature: string;
}

/** A row the chain can hold: a sequence number from 1, a hash and a previous hash. */
export type Chained = EventRowData & { seq: number; hash: string; prevHash: string };

/**
 * Why a row with a sequence number cannot be part of the chain (null: it can;
 * rows without one are older than the chain, checked apart). The portal never
 * writes such a row: someone slipped it in.
 *
 * | seq        | hash, prev_hash   | answer                    |
 * |------------|-------------------|---------------------------|
 * | null       | any               | null (not in the chain)   |
 * | < 1        | any               | below the chain           |
 * | ≥ 1        | either null       | no hash / no previous     |
 * | ≥ 1        | both present      | null (a chain row)        |
 */
export function outsideChain(e: EventRowData): string | null {
  if (e.seq === null) return null;
  if (!Number.isSafeInteger(e.seq) || e.seq < 1) return `its sequence number #${e.seq} is outside the chain, which starts at #1`;
  if (e.hash === null) return `it has a sequence number (#${e.seq}) but no hash`;
  if (e.prevHash === null) return `it has a sequence number (#${e.seq}) but no previous hash`;
  return null;
}

/** Whether the chain can hold `e` (see {@link outsideChain}). */
export function isChained(e: EventRowData): e is Chained {
  return e.seq !== null && outsideChain(e) === null;
}

function rowProblem(r: Chained, prev: Chained | undefined): Problem | null {
  if (prev && r.id < prev.id) {
    return { subject: 'event', id: r.id, kind: 'reordered', detail: `it is chained after event ${prev.id} but has a smaller id` };
  }
  if (eventHash({ ...r, prevHash: r.prevHash }) !== r.hash) {
    return { subject: 'event', id: r.id, kind: 'edited', detail: 'its content does not match its hash' };
  }
  if (r.authorId !== null && r.authorId !== r.chainAuthorId) {
    return { subject: 'event', id: r.id, kind: 'edited', detail: `its author was changed (written by user ${r.chainAuthorId ?? 'none'})` };
  }
  if (r.prevHash !== (prev?.hash ?? genesisHash)) {
    return prev
      ? { subject: 'event', id: prev.id, kind: 'edited', detail: `it was rewritten: event ${r.id} links a different previous hash` }
      : { subject: 'event', id: r.id, kind: 'edited', detail: 'the first event of the chain does not start from the genesis hash' };
  }
  return null;
}

/**
 * Walks the chain in sequence order, one page of rows at a time (memory stays
 * bounded), remembering only the hashes checkpoints need and the first problem.
 */
export class ChainWalker {
  #prev: Chained | undefined;
  #problem: Problem | null = null;
  #broken = false;
  #count = 0;
  readonly #wanted: ReadonlySet<number>;
  /** Hash and id of the events at the wanted sequence numbers (those checkpoints sign, kept heads). */
  readonly signed = new Map<number, { id: number; hash: string }>();

  constructor(wantedSeqs: ReadonlySet<number>) {
    this.#wanted = wantedSeqs;
  }

  /** Chained events walked so far. */
  get count(): number { return this.#count; }
  /** Sequence number of the last chained event walked (0: none). */
  get head(): number { return this.#prev?.seq ?? 0; }
  /** Hash of the last chained event walked (null: none). */
  get headHash(): string | null { return this.#prev?.hash ?? null; }
  /** The first problem, once found. */
  get problem(): Problem | null { return this.#problem; }
  /** Id of the first chained event (legacy events newer than it are inserted ones). */
  firstId: number | undefined;

  /**
   * Feeds the next event in sequence order, from the smallest: rows without a
   * sequence number are ignored, other rows the chain cannot hold are inserted ones.
   */
  push(r: EventRowData): void {
    if (this.#broken || r.seq === null) return;
    if (!isChained(r)) {
      // Not a link of the chain: named, and the walk goes on past it.
      this.#problem ??= { subject: 'event', id: r.id, kind: 'inserted', detail: outsideChain(r) ?? 'it is not part of the chain' };
      return;
    }
    this.firstId ??= r.id;
    this.#count++;
    if (this.#wanted.has(r.seq)) this.signed.set(r.seq, { id: r.id, hash: r.hash });
    const expected = (this.#prev?.seq ?? 0) + 1;
    if (r.seq !== expected) {
      const many = r.seq - expected > 1;
      this.#break({ subject: 'event', id: r.id, kind: 'deleted',
        detail: `event${many ? 's' : ''} #${expected}${many ? `–#${r.seq - 1}` : ''} of the chain before it ${many ? 'are' : 'is'} missing` });
      return;
    }
    const p = rowProblem(r, this.#prev);
    if (p) this.#break(p);
    this.#prev = r;
  }

  /** A broken link: the walk stops there (what follows cannot be trusted to link). */
  #break(p: Problem): void {
    this.#problem ??= p;
    this.#broken = true;
  }

  /**
   * Ends the walk: `outsideId` is a legacy event newer than the chain. (Newest
   * events deleted show only as checkpoints signing missing events.)
   */
  finish(outsideId: number | undefined): Problem | null {
    if (this.#problem) return this.#problem;
    if (outsideId !== undefined) return { subject: 'event', id: outsideId, kind: 'inserted', detail: 'it is newer than the chain but not part of it' };
    return null;
  }
}

/** Checks a whole chain held in memory (tests and small trails); returns the first problem or null. */
export function checkChain(events: readonly EventRowData[]): Problem | null {
  const w = new ChainWalker(new Set());
  const sequenced = events.filter((e): e is EventRowData & { seq: number } => e.seq !== null);
  for (const e of sequenced.sort((a, b) => a.seq - b.seq)) w.push(e);
  const first = w.firstId;
  return w.finish(first === undefined ? undefined : events.find((e) => e.seq === null && e.id > first)?.id);
}

/**
 * Checks every checkpoint: signed by a trusted key, and signing the hash the
 * chain really has at its sequence number. Returns the first problem or null.
 */
export function checkCheckpoints(
  checkpoints: readonly CheckpointRowData[], bySeq: ReadonlyMap<number, { id: number; hash: string }>, trusted: ReadonlySet<string>,
): Problem | null {
  for (const c of [...checkpoints].sort((a, b) => a.id - b.id)) {
    if (!trusted.has(c.publicKey)) {
      return { subject: 'checkpoint', id: c.id, kind: 'bad signature', detail: 'it is signed by a key that is not the audit key' };
    }
    if (!verifySignature(c.publicKey, checkpointMessage(c), c.signature)) {
      return { subject: 'checkpoint', id: c.id, kind: 'bad signature', detail: 'its signature does not match its content' };
    }
    const e = bySeq.get(c.seq);
    if (!e) return { subject: 'checkpoint', id: c.id, kind: 'deleted', detail: `the event #${c.seq} it signs is missing` };
    if (e.hash !== c.hash) {
      return { subject: 'event', id: e.id, kind: 'edited', detail: `the chain up to it was rewritten: checkpoint ${c.id} signed a different hash` };
    }
  }
  return null;
}

/** How many of the newest chained events no checkpoint covers yet (`head`: the last one's sequence number). */
export function unsignedTail(checkpoints: readonly CheckpointRowData[], head: number): number {
  return Math.max(0, head - checkpoints.reduce((max, c) => Math.max(max, c.seq), 0));
}
