/**
 * The ACLs an access decision reads, in plain SQL: those naming one of a
 * user's groups, with the ids of their user and host groups (three
 * statements whatever their number; the group ids are the only parameters).
 */
import type { Acl } from '../entities/index.js';
import { columns } from '../rows.js';
import { dateOf, inList, numberOf, textOf, type Sql } from '../sql.js';

/**
 * An ACL as access decisions read it: its columns and the ids of its groups.
 * lib/acl/decide maps it to the evaluator's input; lib/db knows nothing of that.
 */
export type AclRow = Pick<Acl, 'id' | 'action' | 'weight' | 'inception' | 'expiration' | 'hostPattern' | 'shell' | 'exec' | 'fileCopy'
  | 'localForward' | 'remoteForward' | 'agentForward' | 'x11'> & { userGroupIds: number[]; hostGroupIds: number[] };

const aclColumns = ['id', 'action', 'weight', 'inception', 'expiration', 'host_pattern', 'shell', 'exec', 'file_copy',
  'local_forward', 'remote_forward', 'agent_forward', 'x11'] as const;

function aclOf(r: Record<string, unknown>, userGroupIds: number[], hostGroupIds: number[]): AclRow {
  return {
    id: numberOf(r.id), action: textOf(r.action), weight: numberOf(r.weight), inception: dateOf(r.inception), expiration: dateOf(r.expiration),
    hostPattern: textOf(r.host_pattern), shell: textOf(r.shell), exec: textOf(r.exec), fileCopy: textOf(r.file_copy),
    localForward: textOf(r.local_forward), remoteForward: textOf(r.remote_forward), agentForward: textOf(r.agent_forward), x11: textOf(r.x11),
    userGroupIds, hostGroupIds,
  };
}

/** Group ids by ACL id, from rows of `(acl_id, group_id)`. */
function groupIds(rows: readonly Record<string, unknown>[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const r of rows) {
    const acl = numberOf(r.acl_id);
    const list = out.get(acl);
    if (list) list.push(numberOf(r.group_id));
    else out.set(acl, [numberOf(r.group_id)]);
  }
  return out;
}

/** The ACLs that name one of `userGroupIds`, with their group ids, by ACL id. */
export async function aclsNamingUserGroups(sql: Sql, userGroupIds: readonly number[]): Promise<AclRow[]> {
  if (userGroupIds.length === 0) return [];
  const ids = inList(userGroupIds);
  const named = `SELECT n.acl_id FROM user_group_acls n WHERE n.user_group_id IN (${ids.marks})`;
  const acls = await sql.rows(`SELECT ${columns('a', aclColumns)} FROM acls a WHERE a.id IN (${named}) ORDER BY a.id`, ids.params);
  if (acls.length === 0) return [];
  const users = groupIds(await sql.rows(
    `SELECT j.acl_id AS acl_id, j.user_group_id AS group_id FROM user_group_acls j WHERE j.acl_id IN (${named}) ORDER BY j.acl_id, j.user_group_id`, ids.params));
  const hosts = groupIds(await sql.rows(
    `SELECT j.acl_id AS acl_id, j.host_group_id AS group_id FROM host_group_acls j WHERE j.acl_id IN (${named}) ORDER BY j.acl_id, j.host_group_id`, ids.params));
  return acls.map((r) => aclOf(r, users.get(numberOf(r.id)) ?? [], hosts.get(numberOf(r.id)) ?? []));
}
