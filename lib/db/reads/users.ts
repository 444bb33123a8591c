/**
 * Users as logins and access re-checks read them: by key fingerprint or by
 * id, with their roles and groups, in plain SQL (one statement per relation,
 * whatever the number of users).
 */
import type { User } from '../entities/index.js';
import { byOwner, columns, roleOf, roleColumns, userColumns, groupColumns, userGroupOf, userOf } from '../rows.js';
import { inList, type Sql } from '../sql.js';

const userSelect = `SELECT ${columns('u', userColumns)}`;
const byKeySql = `${userSelect} FROM user_keys k JOIN users u ON u.id = k.user_id WHERE k.fingerprint = ?`;

/** Loads the roles and groups of `users` (in place) and returns them. */
export async function withRolesAndGroups(sql: Sql, users: User[]): Promise<User[]> {
  if (users.length === 0) return users;
  const ids = inList(users.map((u) => u.id));
  const roles = byOwner(await sql.rows(
    `SELECT j.user_id AS owner_id, ${columns('r', roleColumns)} FROM user_user_roles j JOIN user_roles r ON r.id = j.user_role_id WHERE j.user_id IN (${ids.marks}) ORDER BY j.user_id, r.id`,
    ids.params), roleOf);
  const groups = byOwner(await sql.rows(
    `SELECT j.user_id AS owner_id, ${columns('g', groupColumns)} FROM user_user_groups j JOIN user_groups g ON g.id = j.user_group_id WHERE j.user_id IN (${ids.marks}) ORDER BY j.user_id, g.id`,
    ids.params), userGroupOf);
  for (const u of users) {
    u.roles = roles.get(u.id) ?? [];
    u.groups = groups.get(u.id) ?? [];
  }
  return users;
}

/** The user a key fingerprint belongs to, with roles and groups, or null. */
export async function userByKey(sql: Sql, fingerprint: string): Promise<User | null> {
  const row = (await sql.rows(byKeySql, [fingerprint])).at(0);
  if (!row) return null;
  const user = userOf(row);
  await withRolesAndGroups(sql, [user]);
  return user;
}

/** The users of `ids` that exist, with roles and groups. */
export async function usersByIds(sql: Sql, ids: readonly number[]): Promise<User[]> {
  if (ids.length === 0) return [];
  const list = inList(ids);
  return withRolesAndGroups(sql, (await sql.rows(`${userSelect} FROM users u WHERE u.id IN (${list.marks}) ORDER BY u.id`, list.params)).map(userOf));
}

/** Owner (user id) of each of `fingerprints` still bound to a user. */
export async function keyOwners(sql: Sql, fingerprints: readonly string[]): Promise<Map<string, number>> {
  if (fingerprints.length === 0) return new Map();
  const list = inList(fingerprints);
  const rows = await sql.rows(`SELECT k.fingerprint AS fingerprint, k.user_id AS user_id FROM user_keys k WHERE k.fingerprint IN (${list.marks})`, list.params);
  return new Map(rows.map((r) => [String(r.fingerprint), Number(r.user_id)]));
}
