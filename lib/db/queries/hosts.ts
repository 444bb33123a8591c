import { In, type EntityManager } from 'typeorm';
import { AlreadyExistsError, ConflictError, InvalidArgumentError } from '../../errors.js';
import { Host, HostGroup, SshKey } from '../entities/index.js';
import { hostById, hostByName, sshKeyByName } from '../reads/hosts.js';
import { columns, hostColumns, hostOf } from '../rows.js';
import { numberOf, sqlOf } from '../sql.js';
import { findNamed, groupPairs, joinPairs, nameTaken } from './common.js';

/** A host as `host ls` shows it: names of its key, hop and groups resolved. */
export interface HostListRow {
  host: Host;
  keyName: string;
  hopName: string;
  groupNames: string[];
}

/** The order of `host ls` (newest first), and its limit: only the newest with `latest`. */
function listed(latest: boolean): string {
  return `ORDER BY h.created_at DESC, h.id DESC${latest ? ' LIMIT 1' : ''}`;
}

/** The ids of {@link listHosts}, in its order (`host ls --quiet`: 10,000 whole rows took ~0.14 s). */
export async function listHostIds(m: EntityManager, latest: boolean): Promise<{ id: number }[]> {
  return (await sqlOf(m).rows(`SELECT h.id FROM hosts h ${listed(latest)}`)).map((r) => ({ id: numberOf(r.id) }));
}

/** What `host ls` reads of a host: no secrets (password, pinned host key). */
const listedColumns = hostColumns.filter((c) => c !== 'password' && c !== 'host_key');

/**
 * Hosts for `host ls`, newest first (only the newest with `latest`), in four
 * queries whatever their number: hosts, key names, group names, memberships.
 */
export async function listHosts(m: EntityManager, latest: boolean): Promise<HostListRow[]> {
  // Plain SQL: typeorm's entities took ~115 ms of the event loop for 10,000 hosts, this ~25.
  const hosts = (await sqlOf(m).rows(`SELECT ${columns('h', listedColumns)} FROM hosts h ${listed(latest)}`)).map(hostOf);
  const keys = new Map((await m.find(SshKey, { select: { id: true, name: true } })).map((k) => [k.id, k.name]));
  const groups = new Map((await m.find(HostGroup, { select: { id: true, name: true } })).map((g) => [g.id, g.name]));
  const memberships = groupPairs(await joinPairs(m, 'host_host_groups', 'host_id', 'host_group_id', latest ? hosts.map((h) => h.id) : undefined));
  const hopNames = new Map(hosts.map((h) => [h.id, h.name]));
  const missingHops = [...new Set(hosts.map((h) => h.hopId).filter((id): id is number => id !== null && !hopNames.has(id)))];
  if (missingHops.length > 0) for (const h of await m.find(Host, { select: { id: true, name: true }, where: { id: In(missingHops) } })) hopNames.set(h.id, h.name);
  return hosts.map((host) => ({
    host,
    keyName: host.sshKeyId === null ? '' : keys.get(host.sshKeyId) ?? '',
    hopName: host.hopId === null ? '' : hopNames.get(host.hopId) ?? '',
    groupNames: (memberships.get(host.id) ?? []).map((g) => groups.get(g) ?? '').filter((n) => n !== ''),
  }));
}

/** Finds hosts by name or id; `full` loads groups, key and hop for `inspect`. */
export function findHosts(m: EntityManager, identifiers: readonly string[], full = false): Promise<Host[]> {
  return findNamed(m, Host, identifiers, 'host', full ? { groups: true, sshKey: true, hop: true } : undefined);
}

/** Throws AlreadyExistsError when another host already has `name`. */
export async function assertHostNameFree(m: EntityManager, name: string, exceptId?: number): Promise<void> {
  if (await nameTaken(m, Host, name, exceptId)) throw new AlreadyExistsError(`host '${name}' already exists`);
}

/**
 * Throws when making `hopId` the hop of `hostId` would loop (a host reaching
 * itself through its hops). On MySQL each hop is read with a lock: plain reads
 * see the transaction's snapshot, and `host update a --hop b` beside `host
 * update b --hop a` both found no loop and both committed one. Locking, a walk
 * waits for the other change and sees it once committed (a deadlock between
 * the two is retried by the transaction). SQLite runs transactions one at a time.
 */
export async function assertNoHopLoop(m: EntityManager, hostId: number, hopId: number): Promise<void> {
  const seen = new Set<number>();
  for (let id: number | null = hopId; id !== null; ) {
    if (id === hostId) throw new InvalidArgumentError('invalid hop: the hop chain would lead back to the host itself');
    if (seen.has(id)) return;
    seen.add(id);
    // A locking read on MySQL: the latest committed hop, not the snapshot's (see the doc comment).
    const lock = m.dataSource.options.type === 'better-sqlite3' ? undefined : { mode: 'pessimistic_read' as const };
    const row: Host | null = await m.findOne(Host, { select: { id: true, hopId: true }, where: { id }, lock });
    id = row?.hopId ?? null;
  }
}

/** Deletes hosts, refusing those still used as the hop of a host that stays. */
export async function removeHosts(m: EntityManager, hosts: readonly Host[]): Promise<void> {
  if (hosts.length === 0) return;
  const ids = hosts.map((h) => h.id);
  const users = await m.find(Host, { select: { id: true, name: true, hopId: true }, where: { hopId: In(ids) } });
  const blocking = users.filter((u) => !ids.includes(u.id));
  if (blocking.length > 0) {
    const hop = hosts.find((h) => h.id === blocking[0]?.hopId)?.name ?? '';
    throw new ConflictError(`host '${hop}' is the hop of ${blocking.map((b) => `'${b.name}'`).join(', ')}; change their hop first`);
  }
  await m.update(Host, { id: In(ids) }, { hopId: null });
  await m.delete(Host, ids);
}

/** Reads hosts one at a time, with the groups and client key the bastion path needs (lib/routing's host finder). */
export function hostFinder(m: EntityManager): { byName(name: string): Promise<Host | null>; byId(id: number): Promise<Host | null> } {
  return {
    byName: (name) => hostByName(sqlOf(m), name),
    byId: (id) => hostById(sqlOf(m), id),
  };
}

/** The client key used for a host: its own, or `default`. */
export async function hostClientKey(m: EntityManager, host: Host): Promise<SshKey | null> {
  if (host.sshKey) return host.sshKey;
  return sshKeyByName(sqlOf(m), 'default');
}

/**
 * Pins a target's host key on first use, race-safe across nodes: only a host
 * with no pinned key is updated. Returns the key now pinned.
 */
export async function pinHostKey(m: EntityManager, hostId: number, blob: string): Promise<string | null> {
  const sql = sqlOf(m);
  await sql.write('UPDATE hosts SET host_key = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ? AND host_key IS NULL', [blob, hostId]);
  const row = (await sql.rows('SELECT h.host_key AS host_key FROM hosts h WHERE h.id = ?', [hostId])).at(0);
  return row && typeof row.host_key === 'string' ? row.host_key : null;
}
