/**
 * File modes of the SQLite database. Without `--aes-key` the file holds the
 * portal's host key and the key installed on every target in clear, so it is
 * created for the portal's user alone; SQLite gives its `-wal` and `-shm`
 * files the mode of the database file.
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** The database file and the two files SQLite keeps next to it in WAL mode. */
function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/**
 * Creates the directory (0700) and an empty database file (0600) when they do
 * not exist yet; existing ones keep their mode (see {@link exposedSqliteFiles}).
 */
export function createSqliteFile(path: string): void {
  if (path === ':memory:') return;
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  // 'a' creates without truncating; the mode applies only when the file is created here.
  closeSync(openSync(path, 'a', 0o600));
}

/** The existing database files that other local users can read, with their modes (e.g. `0644`). */
export function exposedSqliteFiles(path: string): { file: string; mode: string }[] {
  if (path === ':memory:') return [];
  const out: { file: string; mode: string }[] = [];
  for (const file of sqliteFiles(path)) {
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
    } catch {
      continue;
    }
    if ((mode & 0o044) !== 0) out.push({ file, mode: `0${mode.toString(8).padStart(3, '0')}` });
  }
  return out;
}
