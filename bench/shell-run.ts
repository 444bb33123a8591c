/**
 * What the admin shell's benchmarks share (shell-scale.ts, history-ls.ts,
 * fk-deletes.ts): seeding a portal database by multi-row INSERTs, and running
 * one command through runShell as an SSH session would, timed, with the
 * longest the event loop was held meanwhile (what every other connection of
 * the portal waited: better-sqlite3 is synchronous) and the largest heap seen.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { resolveServerConfig } from '../lib/config/server-config.js';
import { bootstrap } from '../lib/db/bootstrap.js';
import { openDatabase, type Database } from '../lib/db/database.js';
import { User } from '../lib/db/entities/index.js';
import { silentLogger } from '../lib/log.js';
import { runShell, type ShellDeps } from '../lib/shell/index.js';
import { tempDir } from '../test/support/keys.js';

/**
 * A bootstrapped SQLite portal database in a temporary directory, seeded by
 * `seed` (its time printed after `what`), handed to `use` with the shell's
 * dependencies; closed and removed afterwards.
 */
export async function withSeededDatabase<S>(what: string, seed: (db: Database) => Promise<S>, use: (db: Database, deps: ShellDeps, seeded: S) => Promise<void>): Promise<void> {
  const dir = tempDir('sshportal-bench-');
  const path = join(dir.path, 'bench.db');
  const db = await openDatabase({ driver: 'sqlite3', path }, '0123456789abcdef');
  try {
    await bootstrap(db, { adminInviteToken: null });
    const t0 = performance.now();
    const seeded = await seed(db);
    console.log(`seeded ${what} in ${(performance.now() - t0).toFixed(0)} ms`);
    await use(db, { db, log: silentLogger, config: resolveServerConfig({ dbConn: path }, {}), version: 'bench' }, seeded);
  } finally {
    await db.close();
    dir.remove();
  }
}

/** Inserts `count` rows of `table`, `chunk` rows a statement, in one transaction; `values(i)` gives row i in `columns` order. */
export async function insertRows(db: Database, table: string, columns: readonly string[], count: number, values: (i: number) => unknown[], chunk: number): Promise<void> {
  const one = `(${columns.map(() => '?').join(', ')})`;
  await db.transaction(async (m) => {
    for (let start = 0; start < count; start += chunk) {
      const ids = Array.from({ length: Math.min(chunk, count - start) }, (_, k) => start + k);
      await m.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${ids.map(() => one).join(', ')}`, ids.flatMap(values));
    }
  });
}

/** Counts and hashes what the shell writes (two builds printing the same output print the same digest); keeps the text when asked. */
class Sink extends Writable {
  bytes = 0;
  text = '';
  readonly #hash = createHash('sha256');
  constructor(private readonly keepText: boolean) { super(); }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.bytes += chunk.length;
    this.#hash.update(chunk);
    if (this.keepText) this.text += chunk.toString();
    cb();
  }
  digest(): string { return this.#hash.digest('hex').slice(0, 12); }
}

/** One run of a command: wall time, output bytes and digest, exit code, error output, longest loop hold, largest heapUsed seen. */
export interface CommandRun { ms: number; bytes: number; digest: string; code: number; err: string; heldMs: number; peakHeap: number }

/** Runs `command` as `admin` through runShell (`input` piped to it), watching the event loop with a 2 ms ticker meanwhile. */
export async function runCommand(deps: ShellDeps, db: Database, command: string, input = ''): Promise<CommandRun> {
  const user = await db.manager.findOneOrFail(User, { where: { name: 'admin' }, relations: { roles: true, groups: true } });
  const out = new Sink(false);
  const err = new Sink(true);
  const stdin = new PassThrough();
  stdin.end(input);
  let last = performance.now();
  let heldMs = 0;
  let peakHeap = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    heldMs = Math.max(heldMs, now - last);
    last = now;
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 2);
  const start = performance.now();
  const code = await runShell(deps, { user, remoteAddr: 'bench' }, { input: stdin, output: out, errorOutput: err, pty: null, onResize: () => undefined }, command);
  const ms = performance.now() - start;
  clearInterval(tick);
  // A hold that ended the command is counted too.
  heldMs = Math.max(heldMs, performance.now() - last);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  return { ms, bytes: out.bytes, digest: out.digest(), code, err: err.text.trim(), heldMs, peakHeap };
}
