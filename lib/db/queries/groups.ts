import type { EntityManager, FindOptionsOrder } from 'typeorm';
import { AlreadyExistsError } from '../../errors.js';
import { Acl, Host, HostGroup, User, UserGroup } from '../entities/index.js';
import { findNamed, nameTaken } from './common.js';

/** Host groups and user groups share their shape; what differs is named here. */
export interface GroupKind<T extends HostGroup | UserGroup> {
  entity: new () => T;
  /** `host group` / `user group`. */
  what: string;
  /** Join table with the members, its columns, and the members' entity and property (what `inspect` shows). */
  members: { table: string; group: string; member: string; entity: new () => Host | User; prop: 'hosts' | 'users' };
  /** Join table with the ACLs and its group column. */
  acls: { table: string; group: string };
}

/** The host group kind. */
export const hostGroupKind: GroupKind<HostGroup> = {
  entity: HostGroup, what: 'host group',
  members: { table: 'host_host_groups', group: 'host_group_id', member: 'host_id', entity: Host, prop: 'hosts' },
  acls: { table: 'host_group_acls', group: 'host_group_id' },
};

/** The user group kind. */
export const userGroupKind: GroupKind<UserGroup> = {
  entity: UserGroup, what: 'user group',
  members: { table: 'user_user_groups', group: 'user_group_id', member: 'user_id', entity: User, prop: 'users' },
  acls: { table: 'user_group_acls', group: 'user_group_id' },
};

/** A group with the sizes `ls` shows. */
export type GroupWithCounts<T> = T & { memberCount: number; aclCount: number };

async function counts(m: EntityManager, table: string, column: string): Promise<Map<number, number>> {
  const raw: { g: unknown; n: unknown }[] = await m.createQueryBuilder()
    .select(`j.${column}`, 'g').addSelect('COUNT(*)', 'n').from(table, 'j').groupBy(`j.${column}`).getRawMany();
  return new Map(raw.map((r) => [Number(r.g), Number(r.n)]));
}

/** Groups, newest first (only the newest with `latest`), with member and ACL counts; three queries. */
export async function listGroups<T extends HostGroup | UserGroup>(m: EntityManager, kind: GroupKind<T>, latest: boolean): Promise<GroupWithCounts<T>[]> {
  const rows = await m.getRepository(kind.entity).find({ order: { createdAt: 'DESC', id: 'DESC' } as FindOptionsOrder<T>, take: latest ? 1 : undefined });
  const members = await counts(m, kind.members.table, kind.members.group);
  const acls = await counts(m, kind.acls.table, kind.acls.group);
  // The counts are added to typeorm's own instances, which keep their class.
  for (const g of rows) Object.assign(g, { memberCount: members.get(g.id) ?? 0, aclCount: acls.get(g.id) ?? 0 });
  return rows as GroupWithCounts<T>[];
}

/** Finds groups by name or id; unknown ones throw NotFoundError. */
export function findGroups<T extends HostGroup | UserGroup>(m: EntityManager, kind: GroupKind<T>, identifiers: readonly string[], withRelations = false): Promise<T[]> {
  return findNamed(m, kind.entity, identifiers, kind.what).then(async (groups) => {
    if (withRelations) for (const g of groups) await loadMembersAndAcls(m, kind, g);
    return groups;
  });
}

/**
 * Loads a group's members and its ACLs, one query each (ordered by id):
 * typeorm's load of both relations joined them, one row per member and ACL
 * (a group of 20k hosts with 51 ACLs: 100 s of the event loop and 3.2 GB).
 */
async function loadMembersAndAcls<T extends HostGroup | UserGroup>(m: EntityManager, kind: GroupKind<T>, g: T): Promise<void> {
  const { table, group, member, entity, prop } = kind.members;
  const members = await m.createQueryBuilder(entity, 'x').innerJoin(table, 'j', `j.${member} = x.id`)
    .where(`j.${group} = :g`, { g: g.id }).orderBy('x.id').getMany();
  const acls = await m.createQueryBuilder(Acl, 'a').innerJoin(kind.acls.table, 'j', 'j.acl_id = a.id')
    .where(`j.${kind.acls.group} = :g`, { g: g.id }).orderBy('a.id').getMany();
  Object.assign(g, { [prop]: members, acls });
}

/** Throws AlreadyExistsError when `name` is taken by another group of the kind. */
export async function assertGroupNameFree<T extends HostGroup | UserGroup>(m: EntityManager, kind: GroupKind<T>, name: string, exceptId?: number): Promise<void> {
  if (await nameTaken(m, kind.entity, name, exceptId)) throw new AlreadyExistsError(`${kind.what} '${name}' already exists`);
}

/** Creates a group. */
export async function createGroup<T extends HostGroup | UserGroup>(m: EntityManager, kind: GroupKind<T>, values: { name: string; comment: string }): Promise<T> {
  await assertGroupNameFree(m, kind, values.name);
  const repo = m.getRepository(kind.entity);
  const row: T = repo.create();
  Object.assign(row, values);
  return repo.save(row);
}

/** Deletes groups (their memberships and ACL links go with them). */
export async function removeGroups<T extends HostGroup | UserGroup>(m: EntityManager, kind: GroupKind<T>, groups: readonly T[]): Promise<void> {
  if (groups.length > 0) await m.getRepository(kind.entity).delete(groups.map((g) => g.id));
}

/** Adds a user to a user group. */
export async function addUserToGroup(m: EntityManager, userId: number, groupId: number): Promise<void> {
  await m.createQueryBuilder().insert().into('user_user_groups', ['user_id', 'user_group_id']).values({ user_id: userId, user_group_id: groupId }).execute();
}
