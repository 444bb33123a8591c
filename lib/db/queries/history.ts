import { In, type EntityManager, type EntityTarget, type FindOptionsWhere, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { NotFoundError } from '../../errors.js';
import { Event, Host, Session, User } from '../entities/index.js';
import { findByIds, unknownMessage } from './common.js';

/** One page of a history listing, newest first: `limit` rows after skipping `offset`, below the row `before` when given. */
export interface Page {
  limit: number;
  offset: number;
  /** Id of a row: the page starts just after it in the listing's order. */
  before: number | null;
}

/** An event with its author's name resolved. */
export type EventListRow = Event & { authorName: string };

/** Names of the rows `ids` of `entity` (only those: a listing never loads a whole table). */
async function namesOf(m: EntityManager, entity: typeof User | typeof Host, ids: readonly (number | null)[]): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await m.find<User | Host>(entity, { select: { id: true, name: true }, where: { id: In(wanted) } });
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * Orders `qb` newest first (created_at, then id, as every listing does) and
 * limits it to `page`: the database reads only the page's rows, from the
 * table's (created_at, id) index instead of sorting the table. The `before`
 * condition is a range on created_at (`<=`, ties then broken by id): SQLite
 * makes no index range of `created_at < x OR (created_at = x AND id < y)`,
 * and a cursor deep in the trail would walk the index from its newest end.
 */
function ordered<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, table: string, page: Page): SelectQueryBuilder<T> {
  qb.orderBy('r.createdAt', 'DESC').addOrderBy('r.id', 'DESC').limit(page.limit).offset(page.offset);
  if (page.before !== null) {
    // The row's own date, read by the database: no date crosses the driver and back.
    const at = `(SELECT b.created_at FROM ${table} b WHERE b.id = :before)`;
    qb.andWhere(`r.created_at <= ${at} AND (r.created_at < ${at} OR r.id < :before)`, { before: page.before });
  }
  return qb;
}

/** The rows of `qb`; a `before` that names no row of `entity` is an error, not an empty page. */
async function paged<T extends ObjectLiteral>(m: EntityManager, entity: EntityTarget<T>, what: string, qb: SelectQueryBuilder<T>, page: Page): Promise<T[]> {
  if (page.before !== null && !(await m.existsBy(entity, { id: page.before } as unknown as FindOptionsWhere<T>))) {
    throw new NotFoundError(unknownMessage(what, [String(page.before)]));
  }
  return qb.getMany();
}

/** The query of one page of events (what {@link listEvents} runs; the tests read its plan). */
export function eventPageQuery(m: EntityManager, page: Page): SelectQueryBuilder<Event> {
  return ordered(m.createQueryBuilder(Event, 'r'), 'events', page);
}

/** One page of events, newest first; two or three short queries. */
export async function listEvents(m: EntityManager, page: Page): Promise<EventListRow[]> {
  const events = await paged(m, Event, 'event', eventPageQuery(m, page), page);
  const names = await namesOf(m, User, events.map((e) => e.authorId));
  return events.map((e) => Object.assign(e, { authorName: e.authorId === null ? '' : names.get(e.authorId) ?? '' }));
}

/** Events by id, with their authors. */
export function findEvents(m: EntityManager, identifiers: readonly string[]): Promise<Event[]> {
  return findByIds(m, Event, identifiers, 'event', { author: true });
}

/** A session with its user and host names resolved. */
export type SessionListRow = Session & { userName: string; hostName: string };

/**
 * The query of one page of sessions (what {@link listSessions} runs). The live
 * ones (`active`) are read through `idx_sessions_status` and only they are
 * sorted: about as many as open connections.
 */
export function sessionPageQuery(m: EntityManager, page: Page, active: boolean): SelectQueryBuilder<Session> {
  const qb = m.createQueryBuilder(Session, 'r');
  if (active) qb.where('r.status = :status', { status: 'active' });
  return ordered(qb, 'sessions', page);
}

/** One page of sessions, newest first (only active ones with `active`); a few short queries. */
export async function listSessions(m: EntityManager, page: Page, active: boolean): Promise<SessionListRow[]> {
  const sessions = await paged(m, Session, 'session', sessionPageQuery(m, page, active), page);
  const users = await namesOf(m, User, sessions.map((s) => s.userId));
  const hosts = await namesOf(m, Host, sessions.map((s) => s.hostId));
  return sessions.map((s) => Object.assign(s, {
    userName: s.userId === null ? 'n/a' : users.get(s.userId) ?? 'n/a',
    hostName: s.hostId === null ? 'n/a' : hosts.get(s.hostId) ?? 'n/a',
  }));
}

/** Sessions by id, with their user and host. */
export function findSessions(m: EntityManager, identifiers: readonly string[]): Promise<Session[]> {
  return findByIds(m, Session, identifiers, 'session', { user: true, host: true });
}
