/** The rows of relayed sessions: opened, annotated while live, closed. */
import type { EntityManager } from 'typeorm';
import { Session } from '../entities/index.js';

/** Opens a session row for a relayed connection. */
export async function openSession(m: EntityManager, s: { userId: number; hostId: number; node: string; remoteAddr: string }): Promise<Session> {
  return m.save(m.create(Session, { ...s, status: 'active', stoppedAt: null, errMsg: null, recordings: null, commands: null }));
}

/** Adds a recording file to a live session's row. */
export async function addRecording(m: EntityManager, id: number, path: string): Promise<void> {
  const row = await m.findOne(Session, { where: { id }, select: { id: true, recordings: true } });
  if (!row) return;
  const list: unknown = row.recordings ? JSON.parse(row.recordings) : [];
  const paths = Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
  if (!paths.includes(path)) await m.update(Session, { id }, { recordings: JSON.stringify([...paths, path]) });
}

/** Replaces a live session's command list (JSON text from lib/db/session-commands.ts). */
export async function setSessionCommands(m: EntityManager, id: number, commands: string): Promise<void> {
  await m.update(Session, { id }, { commands });
}

/** Closes a session row. */
export async function closeSession(
  m: EntityManager, id: number, end: { at: Date; error?: string; recordings: string[]; seals?: readonly { path: string; length: number; sha256: string }[] },
): Promise<void> {
  await m.update(Session, { id }, {
    status: 'closed', stoppedAt: end.at, errMsg: end.error ?? null,
    recordings: end.recordings.length > 0 ? JSON.stringify(end.recordings) : null,
    seals: end.seals && end.seals.length > 0 ? JSON.stringify(end.seals) : null,
  });
}
