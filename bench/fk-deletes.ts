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
import type { Database } from '../lib/db/database.js';
import { insertRows, runCommand, withSeededDatabase } from './shell-run.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 300_000);
const USERS = Number(process.env.BENCH_USERS ?? 1_000);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 10_000);
const RM = Number(process.env.BENCH_RM ?? 10);
/** Rows per INSERT: well under SQLite's 32,766 bound parameters. */
const CHUNK = 1_000;
const at = '2024-01-01 00:00:00.000';

/** Users, hosts (every hundredth behind a hop), an unused key, then events and sessions spread over them. */
async function seed(db: Database): Promise<{ userIds: number[]; hostIds: number[] }> {
  await insertRows(db, 'users', ['created_at', 'updated_at', 'name', 'email', 'comment', 'invite_token'], USERS,
    (i) => [at, at, `user${i}`, `user${i}@example.org`, '', ''], CHUNK);
  await insertRows(db, 'ssh_keys', ['created_at', 'updated_at', 'name', 'type', 'length', 'fingerprint', 'priv_key', 'pub_key', 'comment'], 1,
    () => [at, at, 'unused', 'ed25519', 256, 'SHA256:unused', '', '', ''], CHUNK);
  await insertRows(db, 'hosts', ['created_at', 'updated_at', 'name', 'addr', 'user', 'url', 'ssh_key_id', 'comment', 'logging', 'hop_id'], HOSTS,
    (i) => [at, at, `host${i}`, `host${i}.example.org:22`, 'root', `ssh://root@host${i}.example.org:22`, 2, '', 'everything', null], CHUNK);
  const ids = async (table: string, where = ''): Promise<number[]> =>
    (await db.manager.query<{ id: number }[]>(`SELECT id FROM ${table} ${where} ORDER BY id`)).map((r) => r.id);
  const userIds = await ids('users', "WHERE name <> 'admin'");
  const hostIds = await ids('hosts');
  await db.manager.query('UPDATE hosts SET hop_id = ? WHERE id % 100 = 1 AND id <> ?', [hostIds[0], hostIds[0]]);
  const pick = <T>(list: readonly T[], i: number): T | null => list[(i * 7919) % list.length] ?? null;
  await insertRows(db, 'events', ['created_at', 'updated_at', 'author_id', 'chain_author_id', 'domain', 'action', 'entity', 'args'], EVENTS,
    (i) => { const a = i % 5 === 0 ? null : pick(userIds, i); return [at, at, a, a, 'session', 'connect', `host${i % HOSTS}`, '{}']; }, CHUNK);
  await insertRows(db, 'sessions', ['created_at', 'updated_at', 'status', 'user_id', 'host_id', 'comment', 'node', 'remote_addr'], SESSIONS,
    (i) => [at, at, 'closed', pick(userIds, i), pick(hostIds, i), '', 'n1', ''], CHUNK);
  return { userIds, hostIds };
}

await withSeededDatabase(`${EVENTS} events, ${SESSIONS} sessions, ${USERS} users, ${HOSTS} hosts`, seed, async (db, deps, { userIds, hostIds }) => {
  // The indexes of migration 1732000000008 (none before it).
  const fkIndexes = await db.manager.query<{ name: string }[]>(
    "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx\\_%\\_id' ESCAPE '\\' ORDER BY name");
  console.log(`foreign-key indexes: ${fkIndexes.map((r) => r.name).join(', ') || 'none'}`);
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
    const r = await runCommand(deps, db, command);
    const label = command.replace(/( \d+){2,}$/, (ids) => ` <${ids.trim().split(' ').length} ids>`);
    console.log(`${label.padEnd(22)} ${r.ms.toFixed(0).padStart(7)} ms  longest block ${r.heldMs.toFixed(0).padStart(7)} ms  exit ${r.code}${r.err ? `  ${r.err}` : ''}`);
  }
});
