/**
 * Harness of the admin shell's database tests: a bootstrapped portal database
 * (SQLite or MariaDB) and a `run` helper that calls runShell with PassThrough
 * streams, as the server would with an SSH channel.
 */
import { PassThrough } from 'node:stream';
import { resolveServerConfig, type ServerConfig } from '../../../lib/config/server-config.js';
import { bootstrap } from '../../../lib/db/bootstrap.js';
import { prepareSecrets } from '../../../lib/db/secrets.js';
import { openDatabase, type Database } from '../../../lib/db/database.js';
import { User } from '../../../lib/db/entities/index.js';
import { silentLogger } from '../../../lib/log.js';
import { runShell, type ShellDeps, type ShellIdentity } from '../../../lib/shell/index.js';
import { freshDb, type TestDb, type drivers } from '../../support/databases.js';

/** What one shell run printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A bootstrapped database and a shell on it. */
export interface ShellFixture {
  db: Database;
  deps: ShellDeps;
  testDb: TestDb;
  /** The admin invite token bootstrap made. */
  adminToken: string;
  /** Runs one command as `user` (default admin); `input` is piped to the session. */
  run(command: string | null, opts?: { input?: string; user?: string; now?: Date }): Promise<RunResult>;
  identity(name: string): Promise<ShellIdentity>;
  close(): Promise<void>;
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (s: string) => { text += s; });
  return () => text;
}

/** Opens a fresh bootstrapped database of `driver` (with an AES key unless `aesKey` is null). */
export async function openShell(ctx: Mocha.Context, driver: (typeof drivers)[number], aesKey: string | null = '0123456789abcdef'): Promise<ShellFixture> {
  const testDb = await freshDb(ctx, driver);
  const flags = { dbDriver: testDb.flags.driver, dbConn: testDb.flags.conn, nodeAddress: '127.0.0.1:2222' };
  const config: ServerConfig = resolveServerConfig(flags, {});
  const db = await openDatabase(testDb.config, aesKey);
  // As the portal starts: secrets checked (the AES key's verifier written), then bootstrap.
  await prepareSecrets(db, null);
  const boot = await bootstrap(db, { adminInviteToken: null });
  const deps: ShellDeps = { db, log: silentLogger, config, version: '1.2.3-test' };
  const identity = async (name: string): Promise<ShellIdentity> => {
    const user = await db.manager.findOneOrFail(User, { where: { name }, relations: { roles: true, groups: true } });
    return { user, remoteAddr: '127.0.0.1:50000' };
  };
  return {
    db, deps, testDb, adminToken: boot.adminInviteToken ?? '', identity,
    async run(command, opts = {}) {
      const input = new PassThrough();
      const output = new PassThrough();
      const errorOutput = new PassThrough();
      const out = collect(output);
      const err = collect(errorOutput);
      input.end(opts.input ?? '');
      const who = await identity(opts.user ?? 'admin');
      const d = opts.now ? { ...deps, now: () => opts.now as Date } : deps;
      const code = await runShell(d, who, { input, output, errorOutput, pty: null, onResize: () => undefined }, command);
      await new Promise((r) => setImmediate(r));
      return { code, stdout: out(), stderr: err() };
    },
    async close() {
      await db.close();
      await testDb.drop();
    },
  };
}
