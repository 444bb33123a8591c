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

/**
 * How much of a long text column a listing reads: the first 256 characters of
 * an event's args (up to 60,000 bytes) or of a session's err_msg, not each
 * row's whole text (a 10,000-event page of 50 KB args made 500 MB of strings
 * and held SQLite's synchronous event loop 3 s; cut, 24 MB and 0.4 s: the
 * database still reads each value whole to cut it). SUBSTR counts characters
 * on SQLite and on MariaDB (utf8mb4); NULL stays NULL.
 *
 * The listings show ellipsize(text, 30), which counts UTF-16 code units, one
 * or two a character: any prefix of 31 characters or more ellipsizes exactly
 * as the whole text (the same first 27 units; over 30 units exactly when the
 * whole is), so a listing prints what it printed from whole rows. 256 leaves
 * room for a cell cut by display width instead: then the only text shown
 * otherwise would be one whose first 256 characters are nearly all zero-width
 * (combining marks, joiners), shown with fewer visible characters than the
 * cell holds. Reading such texts whole would cost what the listings cost
 * before; each further 256 characters costs up to 1 KB a row (10 MB a page).
 */
export const listedPrefixChars = 256;

/** Alias of the prefix a listing query reads beside its entity columns. */
const prefixAlias = 'listed_prefix';

/** The select expression of the listed prefix of `column` (`r.args`). */
function prefixOf(column: string): string {
  return `SUBSTR(${column}, 1, ${listedPrefixChars})`;
}

/** The columns `event ls` shows (the author's name through authorId), and nothing else: no hash chain, no args. */
const eventListColumns = ['id', 'createdAt', 'authorId', 'domain', 'action', 'entity'] as const;

/** An event as `event ls` reads it: its listed columns, its author's name, the first {@link listedPrefixChars} characters of its args. */
export type EventListRow = Pick<Event, (typeof eventListColumns)[number]> & { authorName: string; argsPrefix: string | null };

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

/** A listed row (only the selected columns are set) and the prefix read beside it. */
interface Prefixed<T> {
  row: T;
  prefix: string | null;
}

/** The rows of `qb` with their prefixes; a `before` that names no row of `entity` is an error, not an empty page. */
async function paged<T extends ObjectLiteral>(m: EntityManager, entity: EntityTarget<T>, what: string, qb: SelectQueryBuilder<T>, page: Page): Promise<Prefixed<T>[]> {
  if (page.before !== null && !(await m.existsBy(entity, { id: page.before } as unknown as FindOptionsWhere<T>))) {
    throw new NotFoundError(unknownMessage(what, [String(page.before)]));
  }
  return withPrefix(qb);
}

/**
 * The rows of listing query `qb` with their prefix: typeorm fills an entity
 * only from selected columns (`r.domain`), never from an expression, so the
 * prefix is taken from the raw rows. No join: one entity per raw row, in order.
 */
async function withPrefix<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): Promise<Prefixed<T>[]> {
  const { entities, raw } = await qb.getRawAndEntities<Record<string, unknown>>();
  if (raw.length !== entities.length) throw new Error(`listing: ${raw.length} raw rows for ${entities.length} entities`);
  return entities.map((row, i) => {
    const prefix = raw[i]?.[prefixAlias];
    return { row, prefix: typeof prefix === 'string' ? prefix : null };
  });
}

/** The query of one page of events (what {@link listEvents} runs; the tests read its plan). */
export function eventPageQuery(m: EntityManager, page: Page): SelectQueryBuilder<Event> {
  const qb = m.createQueryBuilder(Event, 'r').select(eventListColumns.map((c) => `r.${c}`)).addSelect(prefixOf('r.args'), prefixAlias);
  return ordered(qb, 'events', page);
}

/** One page of events, newest first; two or three short queries. */
export async function listEvents(m: EntityManager, page: Page): Promise<EventListRow[]> {
  const events = await paged(m, Event, 'event', eventPageQuery(m, page), page);
  const names = await namesOf(m, User, events.map(({ row }) => row.authorId));
  return events.map(({ row, prefix }) => Object.assign(row, {
    authorName: row.authorId === null ? '' : names.get(row.authorId) ?? '',
    argsPrefix: prefix,
  }));
}

/** Events by id, with their authors. */
export function findEvents(m: EntityManager, identifiers: readonly string[]): Promise<Event[]> {
  return findByIds(m, Event, identifiers, 'event', { author: true });
}

/**
 * The columns `session ls` shows (names through userId and hostId; node also
 * tells `--active` whom to ask for watchers), and nothing else: not the
 * recordings, commands and seals JSON (up to 64 KB each), nor err_msg whole.
 */
const sessionListColumns = ['id', 'createdAt', 'stoppedAt', 'status', 'userId', 'hostId', 'comment', 'node'] as const;

/** A session as `session ls` reads it: its listed columns, user and host names, the first {@link listedPrefixChars} characters of its error. */
export type SessionListRow = Pick<Session, (typeof sessionListColumns)[number]> & { userName: string; hostName: string; errMsgPrefix: string | null };

/**
 * The query of one page of sessions (what {@link listSessions} runs). The live
 * ones (`active`) are read through `idx_sessions_status` and only they are
 * sorted: about as many as open connections.
 */
export function sessionPageQuery(m: EntityManager, page: Page, active: boolean): SelectQueryBuilder<Session> {
  const qb = m.createQueryBuilder(Session, 'r').select(sessionListColumns.map((c) => `r.${c}`)).addSelect(prefixOf('r.errMsg'), prefixAlias);
  if (active) qb.where('r.status = :status', { status: 'active' });
  return ordered(qb, 'sessions', page);
}

/** One page of sessions, newest first (only active ones with `active`); a few short queries. */
export async function listSessions(m: EntityManager, page: Page, active: boolean): Promise<SessionListRow[]> {
  const sessions = await paged(m, Session, 'session', sessionPageQuery(m, page, active), page);
  const users = await namesOf(m, User, sessions.map(({ row }) => row.userId));
  const hosts = await namesOf(m, Host, sessions.map(({ row }) => row.hostId));
  return sessions.map(({ row, prefix }) => Object.assign(row, {
    userName: row.userId === null ? 'n/a' : users.get(row.userId) ?? 'n/a',
    hostName: row.hostId === null ? 'n/a' : hosts.get(row.hostId) ?? 'n/a',
    errMsgPrefix: prefix,
  }));
}

/** Sessions by id, with their user and host. */
export function findSessions(m: EntityManager, identifiers: readonly string[]): Promise<Session[]> {
  return findByIds(m, Session, identifiers, 'session', { user: true, host: true });
}
