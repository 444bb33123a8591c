/**
 * Deletes against a large audit trail (`npx tsx bench/fk-deletes.ts`): seeds a
 * SQLite portal database with BENCH_EVENTS events and BENCH_SESSIONS sessions
 * written by BENCH_USERS users on BENCH_HOSTS hosts, then times, through
 * runShell as an SSH session would run them, `user rm` of several users,
 * `key rm` of an unused key and `host rm` of several hosts. Each removal makes
 * SQLite visit the rows that point at the removed one (ON DELETE SET NULL /
 * CASCADE / RESTRICT): without an index on the referencing column that is a
 * scan of the whole table per removed row, all of it on the portal's event
 * loop (better-sqlite3 is synchronous). Prints each command's time and the
 * longest event-loop block measured while it ran.
 *
 * Env: BENCH_EVENTS (default 1000000), BENCH_SESSIONS (default 300000),
 * BENCH_USERS (default 1000), BENCH_HOSTS (default 10000), BENCH_RM (rows per
 * removal, default 10).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PassThrough, Writable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { resolveServerConfig } from '../lib/config/server-config.js';
import { bootstrap } from '../lib/db/bootstrap.js';
import { openDatabase, type Database } from '../lib/db/database.js';
import { User } from '../lib/db/entities/index.js';
import { silentLogger } from '../lib/log.js';
import { runShell, type ShellDeps } from '../lib/shell/index.js';
import { tempDir } from '../test/support/keys.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 300_000);
const USERS = Number(process.env.BENCH_USERS ?? 1_000);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 10_000);
const RM = Number(process.env.BENCH_RM ?? 10);
/** Rows per INSERT: well under SQLite's 32,766 bound parameters. */
const CHUNK = 1_000;
const at = '2024-01-01 00:00:00.000';

/** Inserts `count` rows of `columns`, `values(i)` giving row i, in one transaction. */
async function insertMany(db: Database, table: string, columns: readonly string[], count: number, values: (i: number) => unknown[]): Promise<void> {
  await db.transaction(async (m: EntityManager) => {
    for (let start = 0; start < count; start += CHUNK) {
      const n = Math.min(CHUNK, count - start);
      const row = `(${columns.map(() => '?').join(', ')})`;
      const params = Array.from({ length: n }, (_, k) => values(start + k)).flat();
      await m.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: n }, () => row).join(', ')}`, params);
    }
  });
}

/** Users, hosts (every hundredth behind a hop), an unused key, then events and sessions spread over them. */
async function seed(db: Database): Promise<{ userIds: number[]; hostIds: number[] }> {
  await insertMany(db, 'users', ['created_at', 'updated_at', 'name', 'email', 'comment', 'invite_token'], USERS,
    (i) => [at, at, `user${i}`, `user${i}@example.org`, '', '']);
  await insertMany(db, 'ssh_keys', ['created_at', 'updated_at', 'name', 'type', 'length', 'fingerprint', 'priv_key', 'pub_key', 'comment'], 1,
    () => [at, at, 'unused', 'ed25519', 256, 'SHA256:unused', '', '', '']);
  await insertMany(db, 'hosts', ['created_at', 'updated_at', 'name', 'addr', 'user', 'url', 'ssh_key_id', 'comment', 'logging', 'hop_id'], HOSTS,
    (i) => [at, at, `host${i}`, `host${i}.example.org:22`, 'root', `ssh://root@host${i}.example.org:22`, 2, '', 'everything', null]);
  const ids = async (table: string, where = ''): Promise<number[]> =>
    (await db.manager.query<{ id: number }[]>(`SELECT id FROM ${table} ${where} ORDER BY id`)).map((r) => r.id);
  const userIds = await ids('users', "WHERE name <> 'admin'");
  const hostIds = await ids('hosts');
  await db.manager.query('UPDATE hosts SET hop_id = ? WHERE id % 100 = 1 AND id <> ?', [hostIds[0], hostIds[0]]);
  const pick = <T>(list: readonly T[], i: number): T | null => list[(i * 7919) % list.length] ?? null;
  await insertMany(db, 'events', ['created_at', 'updated_at', 'author_id', 'chain_author_id', 'domain', 'action', 'entity', 'args'], EVENTS,
    (i) => { const a = i % 5 === 0 ? null : pick(userIds, i); return [at, at, a, a, 'session', 'connect', `host${i % HOSTS}`, '{}']; });
  await insertMany(db, 'sessions', ['created_at', 'updated_at', 'status', 'user_id', 'host_id', 'comment', 'node', 'remote_addr'], SESSIONS,
    (i) => [at, at, 'closed', pick(userIds, i), pick(hostIds, i), '', 'n1', '']);
  return { userIds, hostIds };
}

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void { this.text += chunk.toString(); cb(); }
}

/**
 * Watches the event loop: a 1 ms timer notes the longest gap between its
 * ticks (what every other session of the portal would have waited). `stop`
 * lets the timer tick once more, so a block that ends the command is counted.
 */
function blockWatch(): { stop(): Promise<number> } {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => { const now = performance.now(); longest = Math.max(longest, now - last); last = now; }, 1);
  return {
    async stop(): Promise<number> {
      await sleep(5);
      clearInterval(timer);
      return longest;
    },
  };
}

/** Runs `command` as `admin`: its time, the longest event-loop block while it ran, its exit code and error output. */
async function time(deps: ShellDeps, db: Database, command: string): Promise<{ ms: number; blockMs: number; code: number; err: string }> {
  const user = await db.manager.findOneOrFail(User, { where: { name: 'admin' }, relations: { roles: true, groups: true } });
  const out = new Sink();
  const err = new Sink();
  const input = new PassThrough();
  input.end();
  const loop = blockWatch();
  const start = performance.now();
  const code = await runShell(deps, { user, remoteAddr: 'bench' }, { input, output: out, errorOutput: err, pty: null, onResize: () => undefined }, command);
  const ms = performance.now() - start;
  return { ms, blockMs: await loop.stop(), code, err: err.text.trim() };
}

async function main(): Promise<void> {
  const dir = tempDir('sshportal-bench-');
  const path = join(dir.path, 'bench.db');
  const db = await openDatabase({ driver: 'sqlite3', path }, '0123456789abcdef');
  try {
    await bootstrap(db, { adminInviteToken: null });
    const t0 = performance.now();
    const { userIds, hostIds } = await seed(db);
    console.log(`seeded ${EVENTS} events, ${SESSIONS} sessions, ${USERS} users, ${HOSTS} hosts in ${(performance.now() - t0).toFixed(0)} ms`);
    // The indexes of migration 1732000000008 (none before it).
    const fkIndexes = await db.manager.query<{ name: string }[]>(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx\\_%\\_id' ESCAPE '\\' ORDER BY name");
    console.log(`foreign-key indexes: ${fkIndexes.map((r) => r.name).join(', ') || 'none'}`);
    const deps: ShellDeps = { db, log: silentLogger, config: resolveServerConfig({ dbConn: path }, {}), version: 'bench' };
    // Hosts that are nobody's hop (the first host is the hop of every hundredth).
    const leafHosts = hostIds.filter((id) => id % 100 !== 1).slice(-RM);
    const commands = [
      `user rm ${userIds.slice(0, 1).join(' ')}`,
      `user rm ${userIds.slice(1, 1 + RM).join(' ')}`,
      'key rm unused',
      `host rm ${leafHosts.slice(0, 1).join(' ')}`,
      `host rm ${leafHosts.slice(1).join(' ')}`,
    ];
    for (const command of commands) {
      const r = await time(deps, db, command);
      const label = command.replace(/( \d+){2,}$/, (ids) => ` <${ids.trim().split(' ').length} ids>`);
      console.log(`${label.padEnd(22)} ${r.ms.toFixed(0).padStart(7)} ms  longest block ${r.blockMs.toFixed(0).padStart(7)} ms  exit ${r.code}${r.err ? `  ${r.err}` : ''}`);
    }
  } finally {
    await db.close();
    dir.remove();
  }
}

await main();
