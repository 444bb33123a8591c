/**
 * Rows read with plain SQL (lib/db/sql.ts) as the entities the rest of the
 * portal uses: the column lists to select and the mapping of one row. Only
 * for the few tables the login path reads; everything else goes through typeorm.
 */
import { Host, HostGroup, SshKey, User, UserGroup, UserRole } from './entities/index.js';
import type { BaseRow } from './entities/base.js';
import type { RecordingMode } from '../recording-mode.js';
import { dateOf, nullableNumberOf, nullableTextOf, numberOf, textOf } from './sql.js';

/** One row as the driver returns it. */
export type Row = Record<string, unknown>;

/** `a.x, a.y` for the columns `names` of the table aliased `alias`. */
export function columns(alias: string, names: readonly string[]): string {
  return names.map((n) => `${alias}.${n}`).join(', ');
}

const baseColumns = ['id', 'created_at', 'updated_at', 'deleted_at'] as const;

export const userColumns = [...baseColumns, 'email', 'name', 'comment', 'invite_token', 'invite_expires_at'] as const;
export const roleColumns = [...baseColumns, 'name'] as const;
export const groupColumns = [...baseColumns, 'name', 'comment'] as const;
export const hostColumns = [...baseColumns, 'name', 'addr', 'user', 'password', 'url', 'ssh_key_id', 'host_key', 'comment', 'logging', 'hop_id'] as const;
export const sshKeyColumns = [...baseColumns, 'name', 'type', 'length', 'fingerprint', 'priv_key', 'pub_key', 'comment'] as const;

function base<T extends BaseRow>(e: T, r: Row): T {
  e.id = numberOf(r.id);
  e.createdAt = dateOf(r.created_at) ?? new Date(NaN);
  e.updatedAt = dateOf(r.updated_at) ?? new Date(NaN);
  e.deletedAt = dateOf(r.deleted_at);
  return e;
}

/** A `users` row (relations not loaded). */
export function userOf(r: Row): User {
  const u = base(new User(), r);
  u.email = textOf(r.email);
  u.name = textOf(r.name);
  u.comment = textOf(r.comment);
  u.inviteToken = textOf(r.invite_token);
  u.inviteExpiresAt = dateOf(r.invite_expires_at);
  return u;
}

/** A `user_roles` row. */
export function roleOf(r: Row): UserRole {
  const role = base(new UserRole(), r);
  role.name = textOf(r.name);
  return role;
}

/** A group row (user or host group: the same columns), relations not loaded. */
function groupOf<T extends UserGroup | HostGroup>(g: T, r: Row): T {
  base(g, r);
  g.name = textOf(r.name);
  g.comment = textOf(r.comment);
  return g;
}

/** A `user_groups` row (relations not loaded). */
export function userGroupOf(r: Row): UserGroup {
  return groupOf(new UserGroup(), r);
}

/** A `host_groups` row (relations not loaded). */
export function hostGroupOf(r: Row): HostGroup {
  return groupOf(new HostGroup(), r);
}

/** A `hosts` row (relations not loaded). */
export function hostOf(r: Row): Host {
  const h = base(new Host(), r);
  h.name = textOf(r.name);
  h.addr = textOf(r.addr);
  h.user = textOf(r.user);
  h.password = nullableTextOf(r.password);
  h.url = textOf(r.url);
  h.sshKeyId = nullableNumberOf(r.ssh_key_id);
  h.hostKey = nullableTextOf(r.host_key);
  h.comment = textOf(r.comment);
  // Checked by its readers (parseRecordingMode): a row edited outside the portal may hold anything.
  h.logging = textOf(r.logging) as RecordingMode;
  h.hopId = nullableNumberOf(r.hop_id);
  return h;
}

/** An `ssh_keys` row. */
export function sshKeyOf(r: Row): SshKey {
  const k = base(new SshKey(), r);
  k.name = textOf(r.name);
  k.type = textOf(r.type);
  k.length = numberOf(r.length);
  k.fingerprint = textOf(r.fingerprint);
  k.privKey = textOf(r.priv_key);
  k.pubKey = textOf(r.pub_key);
  k.comment = textOf(r.comment);
  return k;
}

/**
 * Rows of a join (each carrying its owner's id as `owner_id`), mapped and
 * grouped by owner, in the order read.
 */
export function byOwner<T>(rows: readonly Row[], map: (r: Row) => T): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const owner = numberOf(r.owner_id);
    const list = out.get(owner);
    if (list) list.push(map(r));
    else out.set(owner, [map(r)]);
  }
  return out;
}
