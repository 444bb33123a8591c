/**
 * Admin shell at scale (`npx tsx bench/shell-scale.ts`): seeds a SQLite
 * portal database with 10,000 hosts (in 50 host groups, with hops) and 1,000
 * users, then times `host ls`, `host ls --quiet`, `user ls` and
 * `config backup` through runShell, as an SSH session would run them, with the
 * longest the event loop was held and the largest heap seen (the seeded
 * database's own included). The goal: `host ls` answers in under a second.
 *
 * Env: BENCH_HOSTS (default 10000), BENCH_USERS (default 1000), BENCH_RUNS (default 3).
 */
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { Database } from '../lib/db/database.js';
import { Host, HostGroup, User, UserGroup } from '../lib/db/entities/index.js';
import { runCommand, withSeededDatabase } from './shell-run.js';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 10_000);
const USERS = Number(process.env.BENCH_USERS ?? 1_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CHUNK = 500;

async function insertAll(db: Database, target: EntityTarget<ObjectLiteral>, rows: Record<string, unknown>[]): Promise<void> {
  await db.transaction(async (m) => {
    for (let i = 0; i < rows.length; i += CHUNK) await m.createQueryBuilder().insert().into(target).values(rows.slice(i, i + CHUNK)).updateEntity(false).execute();
  });
}

async function seed(db: Database): Promise<void> {
  const groups = Array.from({ length: 50 }, (_, i) => ({ name: `hg${i}`, comment: '' }));
  await insertAll(db, HostGroup, groups);
  await insertAll(db, UserGroup, Array.from({ length: 20 }, (_, i) => ({ name: `ug${i}`, comment: '' })));
  const groupIds = (await db.manager.find(HostGroup)).map((g) => g.id);
  const hosts = Array.from({ length: HOSTS }, (_, i) => ({
    name: `host${i}`, addr: `host${i}.example.org:22`, user: 'root', url: `ssh://root@host${i}.example.org:22`,
    sshKeyId: 2, comment: i % 10 === 0 ? 'tenth' : '', logging: 'everything', hopId: null,
  }));
  await insertAll(db, Host, hosts);
  const hostIds = (await db.manager.find(Host, { select: { id: true } })).map((h) => h.id);
  await insertAll(db, 'host_host_groups', hostIds.flatMap((id, i) => [{ host_id: id, host_group_id: groupIds[i % groupIds.length] }, { host_id: id, host_group_id: groupIds[0] }].filter((_p, j) => j === 0 || i % groupIds.length !== 0)));
  await db.manager.createQueryBuilder().update(Host).set({ hopId: hostIds[0] }).where('id % 100 = 1 AND id <> :first', { first: hostIds[0] }).execute();
  await insertAll(db, User, Array.from({ length: USERS }, (_, i) => ({ name: `user${i}`, email: `user${i}@example.org`, comment: '', inviteToken: '' })));
  const userIds = (await db.manager.find(User, { select: { id: true, name: true } })).filter((u) => u.name !== 'admin').map((u) => u.id);
  await insertAll(db, 'user_user_groups', userIds.map((id) => ({ user_id: id, user_group_id: 1 })));
}

await withSeededDatabase(`${HOSTS} hosts and ${USERS} users`, seed, async (db, deps) => {
  for (const command of (process.env.BENCH_COMMANDS?.split(',') ?? ['host ls', 'host ls --quiet', 'host ls --latest', 'user ls', 'config backup'])) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await runCommand(deps, db, command));
    const best = Math.min(...runs.map((r) => r.ms));
    const worst = Math.max(...runs.map((r) => r.ms));
    const verdict = command === 'host ls' ? (worst < 1000 ? '  OK (< 1 s)' : '  TOO SLOW (goal: < 1 s)') : '';
    const held = Math.max(...runs.map((r) => r.heldMs));
    const heap = Math.max(...runs.map((r) => r.peakHeap)) / 2 ** 20;
    console.log(`${command.padEnd(18)} best ${best.toFixed(0).padStart(5)} ms  worst ${worst.toFixed(0).padStart(5)} ms  loop held ${held.toFixed(0).padStart(5)} ms  peak heap ${heap.toFixed(0).padStart(4)} MiB  ${runs[0]?.bytes ?? 0} bytes  exit ${runs[0]?.code}${verdict}`);
  }
});
