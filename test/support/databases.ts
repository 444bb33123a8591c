import { join } from 'node:path';
import type { DbConfig } from '../../lib/config/server-config.js';
import { requireOrSkip } from './env.js';
import { freshMariaDb, mariadbAvailable } from './mariadb.js';
import { tempDir } from './tmp.js';

/** One database a suite runs against. */
export interface TestDb {
  config: DbConfig;
  /** The `--db-driver`/`--db-conn` pair for the CLI. */
  flags: { driver: string; conn: string };
  drop: () => Promise<void>;
}

/** The two drivers every data-touching suite runs on. */
export const drivers = ['sqlite3', 'mysql'] as const;

/** Creates a fresh database of `driver` (skips/fails loudly when MariaDB is absent). */
export async function freshDb(ctx: Mocha.Context, driver: (typeof drivers)[number]): Promise<TestDb> {
  if (driver === 'sqlite3') {
    const dir = tempDir();
    const path = join(dir.path, 'sshportal.db');
    return { config: { driver, path }, flags: { driver, conn: path }, drop: () => { dir.remove(); return Promise.resolve(); } };
  }
  requireOrSkip(ctx, await mariadbAvailable(), 'MariaDB on 127.0.0.1:3306');
  const m = await freshMariaDb();
  return { config: m.config, flags: { driver, conn: m.dsn }, drop: m.drop };
}
