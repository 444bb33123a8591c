/**
 * Where a session's recording lives on this node's disk: the first `.cast`
 * its row names, accepted only inside the recordings directory (a row is
 * data: it never makes the portal read an arbitrary file).
 */
import { createReadStream, statSync, type ReadStream } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { NotFoundError } from '../errors.js';

/** The first `.cast` path a session row's `recordings` column names, or null. */
export function castPathOf(recordings: string | null): string | null {
  if (!recordings) return null;
  let list: unknown;
  try {
    list = JSON.parse(recordings);
  } catch {
    return null;
  }
  if (!Array.isArray(list)) return null;
  const cast = list.find((p): p is string => typeof p === 'string' && p.endsWith('.cast'));
  return cast ?? null;
}

/** Whether `path` lies inside directory `dir`. Pure. */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Opens session `id`'s recording at `path` for reading; throws NotFoundError when it is not there. */
export function openCast(id: number, path: string | null, logsLocation: string): ReadStream {
  if (path === null) throw new NotFoundError(`session ${id} has no recording`);
  if (!isInside(logsLocation, path)) throw new NotFoundError(`the recording of session ${id} is outside the recordings directory`);
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch {
    throw new NotFoundError(`the recording of session ${id} is not on this node's disk`);
  }
  return createReadStream(path, { highWaterMark: 64 * 1024 });
}
