/**
 * Appends events to the hash chain. One chain for the whole database: every
 * append reads and advances the one-row head inside the transaction that inserts
 * the event, so concurrent writers (several nodes on MySQL) serialize on the
 * head's row lock (SELECT … FOR UPDATE) and never fork. SQLite has one writer
 * lock (taken before the head is read); inside this process a mutex keeps two
 * appends on the one shared connection from interleaving at an await.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { AuditCheckpoint, AuditHead, Event } from '../entities/index.js';
import { checkpointMessage, eventHash, genesisHash } from './encoding.js';
import type { ChainSigner } from './signer.js';

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
const locks = new WeakMap<DataSource, Promise<unknown>>();

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

/**
 * Reads the head under a write lock: FOR UPDATE on MySQL; on SQLite a no-op
 * write first, which takes the database's write lock (waiting out another
 * process) before the read, so the read cannot be stale.
 */
async function lockHead(m: EntityManager): Promise<{ seq: number; hash: string }> {
  const qb = m.createQueryBuilder(AuditHead, 'h').where('h.id = 1');
  if (m.connection.options.type === 'better-sqlite3') {
    await m.query('UPDATE audit_head SET seq = seq WHERE id = 1');
    return (await qb.getOne()) ?? { seq: 0, hash: genesisHash };
  }
  return (await qb.setLock('pessimistic_write').getOne()) ?? { seq: 0, hash: genesisHash };
}

/** Signs the head `{seq, hash}` in `m`'s transaction. */
async function writeCheckpoint(m: EntityManager, signer: ChainSigner, seq: number, hash: string): Promise<void> {
  const createdAt = new Date();
  const signature = signer.sign(checkpointMessage({ seq, hash, node: signer.node, createdAt }));
  await m.insert(AuditCheckpoint, { seq, hash, node: signer.node, createdAt, publicKey: signer.publicKey, signature });
}

async function appendLocked(m: EntityManager, v: EventValues, s: ChainSettings, checkpoint: boolean): Promise<Event> {
  const head = await lockHead(m);
  const createdAt = new Date();
  const fields = { seq: head.seq + 1, prevHash: head.hash, createdAt, chainAuthorId: v.authorId, domain: v.domain,
    action: v.action, entity: v.entity, args: v.args, deletedAt: null };
  const hash = eventHash(fields);
  const row = m.create(Event, { ...fields, authorId: v.authorId, hash });
  await m.insert(Event, row);
  await m.upsert(AuditHead, { id: 1, seq: fields.seq, hash }, ['id']);
  if (s.signer && (checkpoint || fields.seq % s.signer.every === 0)) await writeCheckpoint(m, s.signer, fields.seq, hash);
  return row;
}

/** Runs `fn` after the previous append of this data source finished (SQLite only; MySQL locks rows). */
async function serialized<T>(ds: DataSource, fn: () => Promise<T>): Promise<T> {
  if (ds.options.type !== 'better-sqlite3') return fn();
  const prev = locks.get(ds) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  locks.set(ds, run.catch(() => undefined));
  return run;
}

/**
 * Inserts one event at the end of the chain, inside `m`'s transaction when it has
 * one (its lock on the head then lasts until that transaction ends), else in its own.
 * `checkpoint` signs the new head whatever the interval (session close does).
 */
export async function appendEvent(m: EntityManager, v: EventValues, checkpoint = false): Promise<Event> {
  const ds = m.connection;
  const s = settings.get(ds) ?? {};
  if (s.disabled) {
    const row = m.create(Event, { ...v, seq: null, prevHash: null, hash: null, chainAuthorId: v.authorId });
    return m.save(row);
  }
  if (m.queryRunner?.isTransactionActive) return serialized(ds, () => appendLocked(m, v, s, checkpoint));
  for (let attempt = 1; ; attempt++) {
    try {
      return await serialized(ds, () => m.transaction((tx) => appendLocked(tx, v, s, checkpoint)));
    } catch (err) {
      // A deadlock victim (an append waiting on the head while a shell transaction holds a row it needs) retries.
      if (!isDeadlock(err) || attempt >= 5) throw err;
    }
  }
}
