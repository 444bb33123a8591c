/**
 * Hosts as logins and access re-checks read them, in plain SQL: one by name
 * or id with its groups and client key (the bastion's host finder), or many
 * by id with their groups; and whole host rows by the thousand, without
 * groups, for `key inspect` and `config backup`.
 */
import type { Host, SshKey } from '../entities/index.js';
import { byOwner, columns, groupColumns, hostColumns, hostGroupOf, hostOf, sshKeyColumns, sshKeyOf } from '../rows.js';
import { inList, type Sql } from '../sql.js';

const hostSelect = `SELECT ${columns('h', hostColumns)} FROM hosts h`;
const keySelect = `SELECT ${columns('k', sshKeyColumns)} FROM ssh_keys k`;

/** Loads the groups of `hosts` (in place) and returns them. */
async function withGroups(sql: Sql, hosts: Host[]): Promise<Host[]> {
  if (hosts.length === 0) return hosts;
  const ids = inList(hosts.map((h) => h.id));
  const groups = byOwner(await sql.rows(
    `SELECT j.host_id AS owner_id, ${columns('g', groupColumns)} FROM host_host_groups j JOIN host_groups g ON g.id = j.host_group_id WHERE j.host_id IN (${ids.marks}) ORDER BY j.host_id, g.id`,
    ids.params), hostGroupOf);
  for (const h of hosts) h.groups = groups.get(h.id) ?? [];
  return hosts;
}

/** One host with its groups and its own client key (null when it uses `default`). */
async function withGroupsAndKey(sql: Sql, row: Record<string, unknown> | undefined): Promise<Host | null> {
  if (!row) return null;
  const host = hostOf(row);
  await withGroups(sql, [host]);
  host.sshKey = host.sshKeyId === null ? null : await sshKeyById(sql, host.sshKeyId);
  return host;
}

/** The host named `name`, with its groups and client key, or null. */
export async function hostByName(sql: Sql, name: string): Promise<Host | null> {
  return withGroupsAndKey(sql, (await sql.rows(`${hostSelect} WHERE h.name = ?`, [name])).at(0));
}

/** The host of `id`, with its groups and client key, or null. */
export async function hostById(sql: Sql, id: number): Promise<Host | null> {
  return withGroupsAndKey(sql, (await sql.rows(`${hostSelect} WHERE h.id = ?`, [id])).at(0));
}

/** The hosts of `ids` that exist, with their groups. */
export async function hostsByIds(sql: Sql, ids: readonly number[]): Promise<Host[]> {
  if (ids.length === 0) return [];
  const list = inList(ids);
  return withGroups(sql, (await sql.rows(`${hostSelect} WHERE h.id IN (${list.marks}) ORDER BY h.id`, list.params)).map(hostOf));
}

/** Every host, by id, without groups or key: typeorm's entities for 10,000 hosts held the event loop ~0.1 s more. */
export async function allHosts(sql: Sql): Promise<Host[]> {
  return (await sql.rows(`${hostSelect} ORDER BY h.id`)).map(hostOf);
}

/** The hosts using the client keys of `keyIds`, by id, without groups or key. */
export async function hostsOfKeys(sql: Sql, keyIds: readonly number[]): Promise<Host[]> {
  if (keyIds.length === 0) return [];
  const list = inList(keyIds);
  return (await sql.rows(`${hostSelect} WHERE h.ssh_key_id IN (${list.marks}) ORDER BY h.id`, list.params)).map(hostOf);
}

/** The client key of `id`, or null. */
export async function sshKeyById(sql: Sql, id: number): Promise<SshKey | null> {
  const row = (await sql.rows(`${keySelect} WHERE k.id = ?`, [id])).at(0);
  return row ? sshKeyOf(row) : null;
}

/** The client key named `name`, or null. */
export async function sshKeyByName(sql: Sql, name: string): Promise<SshKey | null> {
  const row = (await sql.rows(`${keySelect} WHERE k.name = ?`, [name])).at(0);
  return row ? sshKeyOf(row) : null;
}
