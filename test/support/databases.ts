import { join } from 'node:path';
import { openDatabase, type Database } from '../../lib/db/database.js';
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

/** The database a suite opened with {@link suiteDatabase}; `db` is set once its before() hook ran. */
export interface SuiteDatabase {
  db: Database;
}

/**
 * Registers before/after hooks in the calling `describe` that create a fresh
 * database of `driver`, open it (migrations run, no AES key), then close and
 * drop it. Tests read `suite.db`.
 */
export function suiteDatabase(driver: (typeof drivers)[number]): SuiteDatabase {
  let testDb: TestDb | undefined;
  let opened: Database | undefined;
  const suite: SuiteDatabase = {
    get db(): Database {
      if (!opened) throw new Error('suiteDatabase: the before() hook has not opened the database');
      return opened;
    },
  };
  before(async function () {
    testDb = await freshDb(this, driver);
    opened = await openDatabase(testDb.config, null);
  });
  after(async () => {
    await opened?.close();
    await testDb?.drop();
  });
  return suite;
}
