import type { EntityManager } from 'typeorm';
import { Event, Host, Session, User } from '../entities/index.js';
import { findByIds } from './common.js';

/** An event with its author's name resolved. */
export type EventListRow = Event & { authorName: string };

async function userNames(m: EntityManager): Promise<Map<number, string>> {
  return new Map((await m.find(User, { select: { id: true, name: true } })).map((u) => [u.id, u.name]));
}

/** Events newest first (only the newest with `latest`); two queries. */
export async function listEvents(m: EntityManager, latest: boolean): Promise<EventListRow[]> {
  const events = await m.find(Event, { order: { createdAt: 'DESC', id: 'DESC' }, take: latest ? 1 : undefined });
  const names = await userNames(m);
  return events.map((e) => Object.assign(e, { authorName: e.authorId === null ? '' : names.get(e.authorId) ?? '' }));
}

/** Events by id, with their authors. */
export function findEvents(m: EntityManager, identifiers: readonly string[]): Promise<Event[]> {
  return findByIds(m, Event, identifiers, 'event', { author: true });
}

/** A session with its user and host names resolved. */
export type SessionListRow = Session & { userName: string; hostName: string };

/** Sessions newest first (only active ones with `active`, only the newest with `latest`); three queries. */
export async function listSessions(m: EntityManager, latest: boolean, active: boolean): Promise<SessionListRow[]> {
  const sessions = await m.find(Session, {
    where: active ? { status: 'active' } : undefined, order: { createdAt: 'DESC', id: 'DESC' }, take: latest ? 1 : undefined,
  });
  const users = await userNames(m);
  const hosts = new Map((await m.find(Host, { select: { id: true, name: true } })).map((h) => [h.id, h.name]));
  return sessions.map((s) => Object.assign(s, {
    userName: s.userId === null ? 'n/a' : users.get(s.userId) ?? 'n/a',
    hostName: s.hostId === null ? 'n/a' : hosts.get(s.hostId) ?? 'n/a',
  }));
}

/** Sessions by id, with their user and host. */
export function findSessions(m: EntityManager, identifiers: readonly string[]): Promise<Session[]> {
  return findByIds(m, Session, identifiers, 'session', { user: true, host: true });
}
