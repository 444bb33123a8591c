/**
 * The rows of relayed sessions: opened, annotated while live, closed. Plain
 * SQL (lib/db/sql.ts): every relayed login writes here, and typeorm's save
 * (a transaction, an insert and a read-back) cost more than the statement.
 */
import type { EntityManager } from 'typeorm';
import { sqlOf } from '../sql.js';

/** Opens a session row for a relayed connection; returns its id. */
export async function openSession(m: EntityManager, s: { userId: number; hostId: number; node: string; remoteAddr: string }): Promise<{ id: number }> {
  // created_at and updated_at take the column defaults, as rows the ORM writes do.
  const r = await sqlOf(m).write(
    `INSERT INTO sessions (status, user_id, host_id, node, remote_addr, stopped_at, err_msg, recordings, commands, seals, comment, deleted_at)
     VALUES ('active', ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, '', NULL)`,
    [s.userId, s.hostId, s.node, s.remoteAddr]);
  return { id: r.insertId };
}

/** Adds a recording file to a live session's row. */
export async function addRecording(m: EntityManager, id: number, path: string): Promise<void> {
  const sql = sqlOf(m);
  const row = (await sql.rows('SELECT s.recordings AS recordings FROM sessions s WHERE s.id = ?', [id])).at(0);
  if (!row) return;
  const list: unknown = typeof row.recordings === 'string' && row.recordings !== '' ? JSON.parse(row.recordings) : [];
  const paths = Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
  if (!paths.includes(path)) await sql.write('UPDATE sessions SET recordings = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?', [JSON.stringify([...paths, path]), id]);
}

/** Replaces a live session's command list (JSON text from lib/db/session-commands.ts). */
export async function setSessionCommands(m: EntityManager, id: number, commands: string): Promise<void> {
  await sqlOf(m).write('UPDATE sessions SET commands = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?', [commands, id]);
}

/** Closes a session row. */
export async function closeSession(
  m: EntityManager, id: number, end: { at: Date; error?: string; recordings: string[]; seals?: readonly { path: string; length: number; sha256: string }[] },
): Promise<void> {
  await sqlOf(m).write(
    `UPDATE sessions SET status = 'closed', stopped_at = ?, err_msg = ?, recordings = ?, seals = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?`,
    [end.at, end.error ?? null, end.recordings.length > 0 ? JSON.stringify(end.recordings) : null,
      end.seals && end.seals.length > 0 ? JSON.stringify(end.seals) : null, id]);
}
