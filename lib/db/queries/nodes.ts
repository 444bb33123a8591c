import { MoreThan, type EntityManager } from 'typeorm';
import type { Database } from '../database.js';
import { NodeRow, Session } from '../entities/index.js';
import { recordEvent } from '../events.js';
import { isUniqueViolation } from './common.js';

/** What a node writes about itself at start and on every heartbeat. */
export interface NodeBeat {
  name: string;
  address: string;
  version: string;
  startedAt: Date;
  heartbeatAt: Date;
}

/**
 * Writes this node's row: updates it by name, or inserts it. Two nodes racing
 * on the same new name end with one row (the unique index refuses the second
 * insert, which then updates).
 */
export async function upsertNode(m: EntityManager, beat: NodeBeat): Promise<void> {
  const { name, ...rest } = beat;
  const r = await m.update(NodeRow, { name }, rest);
  if ((r.affected ?? 0) > 0) return;
  try {
    await m.insert(NodeRow, beat);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await m.update(NodeRow, { name }, rest);
  }
}

/** Removes this node's row on a clean shutdown (only the incarnation that wrote it). */
export async function removeNode(m: EntityManager, name: string, startedAt: Date): Promise<void> {
  await m.delete(NodeRow, { name, startedAt });
}

/** Every node row, by name. */
export function listNodes(m: EntityManager): Promise<NodeRow[]> {
  return m.find(NodeRow, { order: { name: 'ASC' } });
}

/** The node row of `name`, if any. */
export function findNode(m: EntityManager, name: string): Promise<NodeRow | null> {
  return m.findOneBy(NodeRow, { name });
}

/** Number of `active` sessions per node name (nodes without rows included). */
export async function activeSessionCounts(m: EntityManager): Promise<Map<string, number>> {
  const rows: { node: string; n: string | number }[] = await m.createQueryBuilder(Session, 's')
    .select('s.node', 'node').addSelect('COUNT(*)', 'n').where('s.status = :st', { st: 'active' }).groupBy('s.node').getRawMany();
  return new Map(rows.map((r) => [r.node, Number(r.n)]));
}

/** An `active` session row as the reaper sees it. */
export interface ActiveSession { id: number; createdAt: Date; userId: number | null; hostName: string }

/** Up to `limit` `active` sessions held by `node` with an id above `afterId`, oldest first. */
export async function activeSessionsOf(m: EntityManager, node: string, limit: number, afterId = 0): Promise<ActiveSession[]> {
  const rows = await m.find(Session, {
    where: { node, status: 'active', id: MoreThan(afterId) }, relations: { host: true }, order: { id: 'ASC' }, take: limit,
    select: { id: true, createdAt: true, userId: true, host: { id: true, name: true } },
  });
  return rows.map((s) => ({ id: s.id, createdAt: s.createdAt, userId: s.userId, hostName: s.host?.name ?? '' }));
}

/**
 * Closes one `active` session whose node is gone, with `error`, and writes its
 * audit event — only if this call changed the row: when several nodes notice
 * the same loss at once, exactly one closes each session and audits it.
 * Returns whether this call closed it.
 */
export function closeLostSession(db: Database, s: ActiveSession, node: string, error: string, at: Date): Promise<boolean> {
  return db.transaction(async (m) => {
    const r = await m.update(Session, { id: s.id, status: 'active' }, { status: 'closed', stoppedAt: at, errMsg: error });
    if ((r.affected ?? 0) !== 1) return false;
    await recordEvent(m, { authorId: s.userId, domain: 'session', action: 'lost', entity: s.hostName, args: { session_id: s.id, node, error } });
    return true;
  });
}
