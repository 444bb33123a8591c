/**
 * Appends events to the hash chain. One chain for the whole database, even
 * with several nodes on MySQL: every event takes the next sequence number,
 * which is unique, so two appends can never chain on the same predecessor (no
 * fork); the loser of a race retries on the newest event. SQLite appends are
 * one synchronous transaction (see sqlite-append.ts).
 */
import type { DataSource, EntityManager } from 'typeorm';
import { AuditCheckpoint, Event } from '../entities/index.js';
import { checkpointMessage, eventHash } from './encoding.js';
import { chainHead, type Head } from './head.js';
import type { ChainSigner } from './signer.js';
import { appendSqlite } from './sqlite-append.js';
import { sqliteConnection } from '../sqlite-connection.js';
import { outsideTransactions } from '../sqlite-turns.js';

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

/** Tries before an append gives up on a chain other nodes keep moving. */
const maxAttempts = 50;

/**
 * How long an append outside a transaction keeps trying past
 * {@link maxAttempts}. Appends inside transactions hold the end of the chain
 * in turn (a locking read), and one outside loses to every one of them
 * queued: with 60 shell-like transactions and 60 plain appends from two nodes
 * at once, a plain append lost 50 races in a row and failed. Every race it
 * loses is another event appended (the chain moves), and each try waits for
 * the transaction holding the end to commit, so it gets its turn once that
 * queue drains.
 */
export const appendPatienceMs = 10_000;

/**
 * The newest chained event. Inside a transaction by a locking read: it sees the
 * latest committed row even in an older snapshot, and holds the end of the chain
 * until that transaction ends. Outside one, a plain read is already the latest.
 * A newest row the chain cannot link to throws (see {@link chainHead}): falling
 * back to the genesis hash made every append fail on a taken sequence number.
 */
async function lastEvent(m: EntityManager, inTransaction: boolean): Promise<Head> {
  const qb = m.createQueryBuilder(Event, 'e').select(['e.id', 'e.seq', 'e.hash']).where('e.seq IS NOT NULL').orderBy('e.seq', 'DESC').limit(1);
  const e = await (inTransaction ? qb.setLock('pessimistic_write') : qb).getOne();
  return chainHead(e ?? undefined);
}

function chained(head: Head, v: EventValues, createdAt: Date) {
  const fields = { seq: head.seq + 1, prevHash: head.hash, createdAt, chainAuthorId: v.authorId, domain: v.domain,
    action: v.action, entity: v.entity, args: v.args, deletedAt: null };
  return { ...fields, authorId: v.authorId, hash: eventHash(fields) };
}

/** Whether an insert failed on the unique sequence number (another append took it first). */
function isTakenSeq(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ER_DUP_ENTRY';
}

/** Signs the head `{seq, hash}`. */
async function writeCheckpoint(m: EntityManager, signer: ChainSigner, seq: number, hash: string): Promise<void> {
  const createdAt = new Date();
  const signature = signer.sign(checkpointMessage({ seq, hash, node: signer.node, createdAt }));
  await m.insert(AuditCheckpoint, { seq, hash, node: signer.node, createdAt, publicKey: signer.publicKey, signature });
}

type ChainedRow = ReturnType<typeof chained>;

async function insertEvent(m: EntityManager, row: ChainedRow): Promise<void> {
  await m.createQueryBuilder().insert().into(Event).values(row).updateEntity(false).execute();
}

/**
 * Inserts `row` and, when `signer` is given, its checkpoint: both or neither.
 * Inside the caller's transaction they share it; outside one they get their
 * own, so a crash or a failed checkpoint never leaves a multiple of the
 * interval (or a session close) without its checkpoint, which the verifier
 * reports as deleted.
 */
async function insertSigned(m: EntityManager, inTransaction: boolean, row: ChainedRow, signer: ChainSigner | undefined): Promise<void> {
  if (!signer) return insertEvent(m, row);
  const both = async (t: EntityManager): Promise<void> => {
    await insertEvent(t, row);
    await writeCheckpoint(t, signer, row.seq, row.hash);
  };
  await (inTransaction ? both(m) : m.transaction(both));
}

/**
 * One MySQL append: read the newest event, insert its successor. The unique
 * sequence number is the serialization point: when another append (another
 * node, or a transaction still open) takes the same number first, this insert
 * fails on the unique index (after waiting for that transaction) and the
 * append retries on the new newest event. No lock held between the read and
 * the insert; an event that is signed is inserted with its checkpoint in one
 * transaction.
 */
async function appendMysql(m: EntityManager, v: EventValues, s: ChainSettings, checkpoint: boolean): Promise<void> {
  const inTransaction = m.queryRunner?.isTransactionActive === true;
  const createdAt = new Date();
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const row = chained(await lastEvent(m, inTransaction), v, createdAt);
    const signer = s.signer && (checkpoint || row.seq % s.signer.every === 0) ? s.signer : undefined;
    try {
      await insertSigned(m, inTransaction, row, signer);
    } catch (err) {
      const patient = !inTransaction && Date.now() - started < appendPatienceMs;
      if (!isTakenSeq(err) || (attempt >= maxAttempts && !patient)) throw err;
      continue;
    }
    return;
  }
}

/**
 * Inserts one event at the end of the chain, inside `m`'s transaction when it
 * has one. `checkpoint` signs the new head whatever the interval (session close does).
 */
export async function appendEvent(m: EntityManager, v: EventValues, checkpoint = false): Promise<void> {
  const ds = m.dataSource;
  const s = settings.get(ds) ?? {};
  if (s.disabled) {
    // Exactly the append before the chain existed, so the bench compares with it.
    await m.save(m.create(Event, v));
    return;
  }
  if (ds.options.type === 'better-sqlite3') {
    const conn = sqliteConnection(ds);
    // The caller's own transaction takes it as a savepoint; anyone else's open transaction is waited out.
    if (m.queryRunner?.isTransactionActive || !conn) appendSqlite(ds, v, s.signer, checkpoint);
    else await outsideTransactions(ds, conn, () => appendSqlite(ds, v, s.signer, checkpoint));
    return;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await appendMysql(m, v, s, checkpoint);
      return;
    } catch (err) {
      // A deadlock victim outside a caller's transaction retries; inside one, the caller's transaction is gone.
      if (!isDeadlock(err) || m.queryRunner?.isTransactionActive || attempt >= 5) throw err;
    }
  }
}
