import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { hostKeyName } from '../bootstrap.js';
import { isPortalOwnSetting } from '../secrets.js';
import { Acl, Event, Host, HostGroup, Session, Setting, SshKey, User, UserGroup, UserKey, UserRole } from '../entities/index.js';
import { writeAudit } from './audit.js';
import { nextGeneration, restoreGenerationSetting } from './generation.js';
import { clearTunnels, writeTunnelKeys } from './tunnels.js';
import { sqlOf, type SqlParam } from '../sql.js';
import { statementRows, valueBytes } from './statements.js';
import type { BackupPlan, EventRow, HostRow, SessionRow, SettingRow, Stamped } from './plan.js';

/** Rows per INSERT: well under SQLite's bound-parameter limit. */
const chunkSize = 200;

async function insert<T extends ObjectLiteral>(m: EntityManager, target: EntityTarget<T> | string, rows: readonly ObjectLiteral[]): Promise<void> {
  for (let i = 0; i < rows.length; i += chunkSize) {
    await m.createQueryBuilder().insert().into(target).values(rows.slice(i, i + chunkSize) as QueryDeepPartialEntity<T>[]).updateEntity(false).execute();
  }
}

/** A column of a table written by {@link insertPlain}: its name, and its value in a row. */
type PlainColumn<R> = readonly [name: string, value: (row: R) => SqlParam];

/**
 * Rows of a history table (events, sessions: hundreds of thousands) in
 * multi-row INSERTs of plain SQL (sql.ts; dates written as the ORM writes
 * them): typeorm's insert builder cost ~48 µs an event, 4.8 s for 100,000,
 * with every connection of the portal held throughout on SQLite.
 */
async function insertPlain<R>(m: EntityManager, table: string, columns: readonly PlainColumn<R>[], rows: readonly R[]): Promise<void> {
  const sql = sqlOf(m);
  const names = columns.map(([name]) => name).join(', ');
  const one = `(${columns.map(() => '?').join(', ')})`;
  const values = rows.map((r) => columns.map(([, value]) => value(r)));
  // Statements of a few shapes, each under MariaDB's packet bound (statements.ts).
  let at = 0;
  for (const count of statementRows(values.map((v) => v.reduce((sum: number, x) => sum + valueBytes(x), 0)))) {
    await sql.write(`INSERT INTO ${table} (${names}) VALUES ${Array.from({ length: count }, () => one).join(', ')}`, values.slice(at, at + count).flat());
    at += count;
  }
}

const stampColumns: readonly PlainColumn<Stamped>[] = [['id', (r) => r.id], ['created_at', (r) => r.createdAt], ['updated_at', (r) => r.updatedAt]];

const eventColumns: readonly PlainColumn<EventRow>[] = [
  ...stampColumns, ['author_id', (r) => r.authorId], ['domain', (r) => r.domain], ['action', (r) => r.action], ['entity', (r) => r.entity],
  ['args', (r) => r.args], ['seq', (r) => r.seq], ['prev_hash', (r) => r.prevHash], ['hash', (r) => r.hash], ['chain_author_id', (r) => r.chainAuthorId],
];

const sessionColumns: readonly PlainColumn<SessionRow>[] = [
  ...stampColumns, ['stopped_at', (r) => r.stoppedAt], ['status', (r) => r.status], ['user_id', (r) => r.userId], ['host_id', (r) => r.hostId],
  ['err_msg', (r) => r.errMsg], ['comment', (r) => r.comment], ['node', (r) => r.node], ['remote_addr', (r) => r.remoteAddr],
  ['recordings', (r) => r.recordings], ['commands', (r) => r.commands], ['seals', (r) => r.seals],
];

async function insertPairs(m: EntityManager, table: string, left: string, right: string, pairs: readonly [number, number][]): Promise<void> {
  await insert(m, table, pairs.map(([l, r]) => ({ [left]: l, [right]: r })));
}

/**
 * Hosts ordered so that every hop is written before the hosts going through
 * it. Pure; iterative (a chain as long as the backup must not overflow the
 * stack), loops already refused (links.ts).
 */
export function hopOrder(hosts: readonly HostRow[]): HostRow[] {
  const byId = new Map(hosts.map((h) => [h.id, h]));
  const done = new Set<number>();
  const out: HostRow[] = [];
  for (const start of [...hosts].sort((a, b) => a.id - b.id)) {
    // The unwritten part of start's chain, start first; written hop first.
    const chain: HostRow[] = [];
    for (let h: HostRow | undefined = start; h !== undefined && !done.has(h.id); h = h.hopId === null ? undefined : byId.get(h.hopId)) {
      done.add(h.id);
      chain.push(h);
    }
    out.push(...chain.reverse());
  }
  return out;
}

/** Deletes every row the backup replaces, children first; events stay when the backup carries none. */
async function clear(m: EntityManager, keepEvents: boolean): Promise<void> {
  for (const table of ['host_host_groups', 'user_user_roles', 'user_user_groups', 'user_group_acls', 'host_group_acls']) {
    await m.createQueryBuilder().delete().from(table).execute();
  }
  if (!keepEvents) await m.createQueryBuilder().delete().from(Event).execute();
  await m.createQueryBuilder().delete().from(Session).execute();
  await m.createQueryBuilder().delete().from(UserKey).execute();
  await m.createQueryBuilder().delete().from(Acl).execute();
  // A self-referencing RESTRICT key: unlink the hops before deleting (MySQL checks row by row).
  await m.createQueryBuilder().update(Host).set({ hopId: null }).execute();
  for (const entity of [Host, SshKey, HostGroup, UserGroup, User, UserRole, Setting]) await m.createQueryBuilder().delete().from(entity).execute();
}

/**
 * This portal's own settings (the AES key's verifier, the cluster key, the
 * restore generation, changed), kept through a restore with their ids, or ids
 * after every other when the backup's settings took those.
 */
async function keptSettings(m: EntityManager, restored: readonly SettingRow[]): Promise<Setting[]> {
  const own = (await m.find(Setting, { order: { id: 'ASC' } })).filter((s) => isPortalOwnSetting(s.name));
  const taken = new Set(restored.map((s) => s.id));
  let next = Math.max(0, ...taken, ...own.map((s) => s.id));
  for (const s of own) if (taken.has(s.id)) s.id = ++next;
  // Every restore changes the generation: a backup streaming its history meanwhile stops rather than mix two databases.
  const generation = own.find((s) => s.name === restoreGenerationSetting);
  if (generation) generation.value = nextGeneration();
  else own.push(Object.assign(new Setting(), { id: ++next, name: restoreGenerationSetting, value: nextGeneration() }));
  return own;
}

/**
 * The portal's own host key, kept when the backup has none (an sshportal backup):
 * without it, the next start would make a new one and every client would see a changed host key.
 */
async function keptHostKey(m: EntityManager, plan: BackupPlan): Promise<SshKey | null> {
  if (plan.keys.some((k) => k.name === hostKeyName)) return null;
  const current = await m.findOneBy(SshKey, { name: hostKeyName });
  if (!current) return null;
  current.id = plan.keys.reduce((max, k) => Math.max(max, k.id), 0) + 1;
  return current;
}

async function ensureRoles(m: EntityManager, plan: BackupPlan): Promise<void> {
  for (const name of ['admin', 'listhosts']) {
    if (!plan.roles.some((r) => r.name === name)) await m.save(m.create(UserRole, { name }));
  }
}

/**
 * Replaces the whole configuration with `plan` inside the caller's transaction:
 * a failure anywhere leaves the database as it was. Ids and dates are kept.
 * Returns whether the portal's host key changed (the listener serves the old one until restarted).
 */
export async function writeBackup(m: EntityManager, plan: BackupPlan): Promise<{ hostKeyChanged: boolean }> {
  const before = await m.findOneBy(SshKey, { name: hostKeyName });
  const kept = await keptHostKey(m, plan);
  // A backup's own settings are never written, whoever built the plan (config.ts also warns of them).
  const restoredSettings = plan.settings.filter((s) => !isPortalOwnSetting(s.name));
  const ownSettings = await keptSettings(m, restoredSettings);
  await clearTunnels(m);
  await clear(m, plan.events === null);
  await insert(m, SshKey, kept ? [...plan.keys, kept] : plan.keys);
  await insert(m, Host, hopOrder(plan.hosts));
  await writeTunnelKeys(m, plan);
  await insert(m, HostGroup, plan.hostGroups);
  await insert(m, UserGroup, plan.userGroups);
  await insert(m, UserRole, plan.roles);
  await insert(m, User, plan.users);
  await insert(m, UserKey, plan.userKeys);
  await insert(m, Acl, plan.acls);
  await insertPairs(m, 'host_host_groups', 'host_id', 'host_group_id', plan.links.hostGroups);
  await insertPairs(m, 'user_user_roles', 'user_id', 'user_role_id', plan.links.userRoles);
  await insertPairs(m, 'user_user_groups', 'user_id', 'user_group_id', plan.links.userGroups);
  await insertPairs(m, 'user_group_acls', 'user_group_id', 'acl_id', plan.links.userGroupAcls);
  await insertPairs(m, 'host_group_acls', 'host_group_id', 'acl_id', plan.links.hostGroupAcls);
  await insert(m, Setting, [...restoredSettings, ...ownSettings]);
  await insertPlain(m, 'sessions', sessionColumns, plan.sessions);
  if (plan.events) await insertPlain(m, 'events', eventColumns, plan.events);
  await writeAudit(m, plan);
  await ensureRoles(m, plan);
  const after = await m.findOneBy(SshKey, { name: hostKeyName });
  return { hostKeyChanged: (before?.fingerprint ?? null) !== (after?.fingerprint ?? null) };
}
