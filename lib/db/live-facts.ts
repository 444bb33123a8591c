/**
 * What the database says, right now, about the identities behind a node's
 * live connections: read in a few batched queries per re-check, never one
 * query per connection.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EntityManager } from 'typeorm';
import { aclsNamingUserGroups, type AclRow } from './reads/acls.js';
import { hostsByIds } from './reads/hosts.js';
import { keyOwners, usersByIds } from './reads/users.js';
import { sqlOf } from './sql.js';

/** A user as the access re-check needs it. */
export interface LiveUser {
  id: number;
  name: string;
  email: string;
  groups: { id: number; name: string }[];
  roles: string[];
}

/** A host as the access re-check needs it. */
export interface LiveHost {
  id: number;
  name: string;
  addr: string;
  user: string;
  groups: { id: number; name: string }[];
}

/** The current state of the rows a set of live connections depends on. */
export interface LiveFacts {
  /** Users that still exist, by id. */
  users: ReadonlyMap<number, LiveUser>;
  /** Owner (user id) of each key fingerprint still bound. */
  keyOwners: ReadonlyMap<string, number>;
  /** Hosts that still exist, by id. */
  hosts: ReadonlyMap<number, LiveHost>;
  /** Every ACL naming one of the users' groups. */
  acls: readonly AclRow[];
}

/** What to look up. */
export interface LiveFactsQuery {
  userIds: Iterable<number>;
  fingerprints: Iterable<string>;
  hostIds: Iterable<number>;
}

/** Bounds the size of one `IN (…)` list (SQLite caps bound parameters). */
const CHUNK = 500;

/** Loads `keys` a chunk at a time, giving the event loop a turn between chunks (SQLite answers synchronously). */
async function inChunks<K, R>(keys: Iterable<K>, load: (chunk: K[]) => Promise<R[]>): Promise<R[]> {
  const all = [...new Set(keys)];
  const out: R[] = [];
  for (let i = 0; i < all.length; i += CHUNK) {
    if (i > 0) await nextTurn();
    out.push(...(await load(all.slice(i, i + CHUNK))));
  }
  return out;
}

const named = (g: { id: number; name: string }): { id: number; name: string } => ({ id: g.id, name: g.name });

/** Loads the facts behind `q` (users with groups and roles, key owners, hosts with groups, ACLs), in plain SQL. */
export async function loadLiveFacts(m: EntityManager, q: LiveFactsQuery): Promise<LiveFacts> {
  const sql = sqlOf(m);
  const users = await inChunks(q.userIds, (ids) => usersByIds(sql, ids));
  const owners = await inChunks(q.fingerprints, async (fps) => [...(await keyOwners(sql, fps))]);
  const hosts = await inChunks(q.hostIds, (ids) => hostsByIds(sql, ids));
  const groupIds = [...new Set(users.flatMap((u) => (u.groups ?? []).map((g) => g.id)))];
  const acls = await inChunks(groupIds, (ids) => aclsNamingUserGroups(sql, ids));
  const uniqueAcls = [...new Map(acls.map((a) => [a.id, a])).values()];
  return {
    users: new Map(users.map((u) => [u.id, {
      id: u.id, name: u.name, email: u.email, groups: (u.groups ?? []).map(named), roles: (u.roles ?? []).map((r) => r.name),
    }])),
    keyOwners: new Map(owners),
    hosts: new Map(hosts.map((h) => [h.id, { id: h.id, name: h.name, addr: h.addr, user: h.user, groups: (h.groups ?? []).map(named) }])),
    acls: uniqueAcls,
  };
}
