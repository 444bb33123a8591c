/** Read-only queries of the audit trail, for the verifier (SELECTs only). */
import { IsNull, MoreThan, Not, type EntityManager } from 'typeorm';
import { migrations } from '../../../migrations/index.js';
import { AuditCheckpoint, AuditKey, Event, Session } from '../entities/index.js';
import { ConfigError } from '../../errors.js';

const eventColumns = { id: true, seq: true, prevHash: true, hash: true, createdAt: true, authorId: true, chainAuthorId: true,
  domain: true, action: true, entity: true, args: true, deletedAt: true } as const;

/**
 * Events with a sequence number, in its order, at most `limit`: from the
 * smallest (`after` null: even one below 1, which the verifier names) or
 * above `after`.
 */
export function sequencedEvents(m: EntityManager, after: number | null, limit: number): Promise<Event[]> {
  return m.find(Event, { select: eventColumns, where: { seq: after === null ? Not(IsNull()) : MoreThan(after) }, order: { seq: 'ASC' }, take: limit });
}

/** The largest sequence number of the events table (0 when none has one). */
export async function newestSeq(m: EntityManager): Promise<number> {
  const row = await m.createQueryBuilder(Event, 'e').select('MAX(e.seq)', 'seq').getRawOne<{ seq: unknown }>();
  const seq = Number(row?.seq ?? 0);
  return Number.isFinite(seq) ? seq : 0;
}

/** Id of the oldest unchained event newer than `id` (one slipped in beside the chain), if any. */
export async function unchainedEventAfter(m: EntityManager, id: number): Promise<number | undefined> {
  const row = await m.createQueryBuilder(Event, 'e').select(['e.id']).where('e.seq IS NULL AND e.id > :id', { id }).orderBy('e.id', 'ASC').getOne();
  return row?.id;
}

/** How many events have no place in the chain (older than it, or imported). */
export function countUnchained(m: EntityManager): Promise<number> {
  return m.createQueryBuilder(Event, 'e').where('e.seq IS NULL').getCount();
}

/** Every checkpoint, oldest first. */
export function allCheckpoints(m: EntityManager): Promise<AuditCheckpoint[]> {
  return m.find(AuditCheckpoint, { order: { id: 'ASC' } });
}

/** Public halves of the stored signing keys. */
export async function storedPublicKeys(m: EntityManager): Promise<string[]> {
  return (await m.find(AuditKey, { select: { id: true, publicKey: true }, order: { id: 'ASC' } })).map((k) => k.publicKey);
}

/** The public key this database signs with now. */
export async function signingPublicKey(m: EntityManager): Promise<string | null> {
  const k = await m.createQueryBuilder(AuditKey, 'k').select(['k.id', 'k.publicKey']).where('k.private_key IS NOT NULL').orderBy('k.id', 'ASC').getOne();
  return k?.publicKey ?? null;
}

/** Status, recordings and seals of every session. */
export function sessionSeals(m: EntityManager): Promise<Pick<Session, 'id' | 'status' | 'seals' | 'recordings'>[]> {
  return m.find(Session, { select: { id: true, status: true, seals: true, recordings: true } });
}

/**
 * Refuses a database whose schema predates the audit chain: the verifier never
 * migrates (it only reads); the portal migrates when it starts.
 */
export async function assertAuditSchema(m: EntityManager): Promise<void> {
  const needed = migrations.map((c) => new c().name).find((n) => n.startsWith('Audit'));
  let names: string[] = [];
  try {
    const rows: unknown = await m.query('SELECT name FROM migrations');
    names = Array.isArray(rows) ? rows.map((r) => String((r as Record<string, unknown>).name)) : [];
  } catch {
    names = [];
  }
  if (!needed || !names.includes(needed)) {
    throw new ConfigError('this database has no audit chain yet (not an sshportal database, or one older than this version): start the portal once to migrate it');
  }
}
