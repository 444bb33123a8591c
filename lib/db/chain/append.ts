/**
 * Appends events to the hash chain. One chain for the whole database: every
 * append reads and advances the one-row head inside the transaction that inserts
 * the event, so concurrent writers (several nodes on MySQL) serialize on the
 * head's row lock (SELECT … FOR UPDATE) and never fork. SQLite appends are one
 * synchronous transaction (see sqlite-append.ts).
 */
import type { DataSource, EntityManager } from 'typeorm';
import { AuditCheckpoint, AuditHead, Event } from '../entities/index.js';
import { checkpointMessage, eventHash, genesisHash } from './encoding.js';
import type { ChainSigner } from './signer.js';
import { appendSqlite } from './sqlite-append.js';

/** The event columns a caller chooses. */
export interface EventValues {
  authorId: number | null;
  domain: string;
  action: string;
  entity: string;
  args: string | null;
}

/** How one data source chains: its signer (none: chained, never signed) and the bench's off switch. */
interface ChainSettings {
  signer?: ChainSigner;
  /** Internal: plain inserts without a chain (only the bench uses it, to measure the chain's cost). */
  disabled?: boolean;
}

const settings = new WeakMap<DataSource, ChainSettings>();

/** Registers the signer of a data source (the app does it at start). */
export function setChainSigner(ds: DataSource, signer: ChainSigner | undefined): void {
  settings.set(ds, { ...settings.get(ds), signer });
}

/** Internal switch for `bench/`: appends without the chain when `disabled`. */
export function setChainDisabled(ds: DataSource, disabled: boolean): void {
  settings.set(ds, { ...settings.get(ds), disabled });
}

/** MySQL error of a transaction chosen as a deadlock victim (safe to retry from the start). */
function isDeadlock(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}

/** Reads the head under its row lock (held until the transaction ends). */
async function lockHead(m: EntityManager): Promise<{ seq: number; hash: string }> {
  const head = await m.createQueryBuilder(AuditHead, 'h').where('h.id = 1').setLock('pessimistic_write').getOne();
  return head ?? { seq: 0, hash: genesisHash };
}

/** Signs the head `{seq, hash}` in `m`'s transaction. */
async function writeCheckpoint(m: EntityManager, signer: ChainSigner, seq: number, hash: string): Promise<void> {
  const createdAt = new Date();
  const signature = signer.sign(checkpointMessage({ seq, hash, node: signer.node, createdAt }));
  await m.insert(AuditCheckpoint, { seq, hash, node: signer.node, createdAt, publicKey: signer.publicKey, signature });
}

async function appendLocked(m: EntityManager, v: EventValues, s: ChainSettings, checkpoint: boolean): Promise<void> {
  const head = await lockHead(m);
  const createdAt = new Date();
  const fields = { seq: head.seq + 1, prevHash: head.hash, createdAt, chainAuthorId: v.authorId, domain: v.domain,
    action: v.action, entity: v.entity, args: v.args, deletedAt: null };
  const hash = eventHash(fields);
  const row = m.create(Event, { ...fields, authorId: v.authorId, hash });
  await m.insert(Event, row);
  await m.upsert(AuditHead, { id: 1, seq: fields.seq, hash }, ['id']);
  if (s.signer && (checkpoint || fields.seq % s.signer.every === 0)) await writeCheckpoint(m, s.signer, fields.seq, hash);
}

/**
 * Inserts one event at the end of the chain, inside `m`'s transaction when it has
 * one (on MySQL its lock on the head then lasts until that transaction ends), else in its own.
 * `checkpoint` signs the new head whatever the interval (session close does).
 */
export async function appendEvent(m: EntityManager, v: EventValues, checkpoint = false): Promise<void> {
  const ds = m.connection;
  const s = settings.get(ds) ?? {};
  if (s.disabled) {
    await m.insert(Event, { ...v, seq: null, prevHash: null, hash: null, chainAuthorId: v.authorId });
    return;
  }
  if (ds.options.type === 'better-sqlite3') {
    appendSqlite(ds, v, s.signer, checkpoint);
    return;
  }
  if (m.queryRunner?.isTransactionActive) return appendLocked(m, v, s, checkpoint);
  for (let attempt = 1; ; attempt++) {
    try {
      return await m.transaction((tx) => appendLocked(tx, v, s, checkpoint));
    } catch (err) {
      // A deadlock victim (an append waiting on the head while a shell transaction holds a row it needs) retries.
      if (!isDeadlock(err) || attempt >= 5) throw err;
    }
  }
}
