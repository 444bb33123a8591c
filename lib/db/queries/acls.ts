import type { EntityManager } from 'typeorm';
import { Acl, HostGroup, UserGroup } from '../entities/index.js';
import { aclsNamingUserGroups, type AclRow } from '../reads/acls.js';
import { sqlOf } from '../sql.js';
import { findByIds, groupPairs, joinPairs } from './common.js';

/** An ACL as `acl ls` shows it. */
export type AclListRow = Acl & { userGroupNames: string[]; hostGroupNames: string[] };

/** ACLs newest first (only the newest with `latest`) with their group names; five queries. */
export async function listAcls(m: EntityManager, latest: boolean): Promise<AclListRow[]> {
  const acls = await m.find(Acl, { order: { createdAt: 'DESC', id: 'DESC' }, take: latest ? 1 : undefined });
  const ids = latest ? acls.map((a) => a.id) : undefined;
  const ugNames = new Map((await m.find(UserGroup, { select: { id: true, name: true } })).map((g) => [g.id, g.name]));
  const hgNames = new Map((await m.find(HostGroup, { select: { id: true, name: true } })).map((g) => [g.id, g.name]));
  const ugOf = groupPairs((await joinPairs(m, 'user_group_acls', 'acl_id', 'user_group_id', ids)));
  const hgOf = groupPairs((await joinPairs(m, 'host_group_acls', 'acl_id', 'host_group_id', ids)));
  const names = (list: number[] | undefined, map: Map<number, string>): string[] => (list ?? []).map((i) => map.get(i) ?? '').filter((n) => n !== '');
  return acls.map((a) => Object.assign(a, { userGroupNames: names(ugOf.get(a.id), ugNames), hostGroupNames: names(hgOf.get(a.id), hgNames) }));
}

/** ACLs by id; `withGroups` loads their groups. */
export function findAcls(m: EntityManager, identifiers: readonly string[], withGroups = false): Promise<Acl[]> {
  return findByIds(m, Acl, identifiers, 'ACL', withGroups ? { userGroups: true, hostGroups: true } : undefined);
}

export type { AclRow } from '../reads/acls.js';

/** The ACLs that name one of `userGroupIds`, with their group ids (plain SQL: every host login reads them). */
export function aclsOfUserGroups(m: EntityManager, userGroupIds: readonly number[]): Promise<AclRow[]> {
  return aclsNamingUserGroups(sqlOf(m), userGroupIds);
}
