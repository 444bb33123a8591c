import { In, type EntityManager, type FindOptionsRelations } from 'typeorm';
import { AlreadyExistsError, ConflictError } from '../../errors.js';
import { User, UserGroup, UserKey, UserRole } from '../entities/index.js';
import { checkIdentifierCount, findNamed, groupPairs, joinPairs, nameTaken, orderByIdentifiers, splitIdentifiers } from './common.js';

/** A user as `user ls` shows it. */
export type UserListRow = User & { roleNames: string[]; groupNames: string[]; keyCount: number };

/** Users newest first (only the newest with `latest`), with roles, groups and key counts; six queries. */
export async function listUsers(m: EntityManager, latest: boolean): Promise<UserListRow[]> {
  const users = await m.find(User, { order: { createdAt: 'DESC', id: 'DESC' }, take: latest ? 1 : undefined });
  const ids = latest ? users.map((u) => u.id) : undefined;
  const roles = new Map((await m.find(UserRole)).map((r) => [r.id, r.name]));
  const groups = new Map((await m.find(UserGroup, { select: { id: true, name: true } })).map((g) => [g.id, g.name]));
  const roleOf = groupPairs(await joinPairs(m, 'user_user_roles', 'user_id', 'user_role_id', ids));
  const groupOf = groupPairs(await joinPairs(m, 'user_user_groups', 'user_id', 'user_group_id', ids));
  const raw: { u: unknown; n: unknown }[] = await m.createQueryBuilder(UserKey, 'k').select('k.user_id', 'u').addSelect('COUNT(*)', 'n').groupBy('k.user_id').getRawMany();
  const keys = new Map(raw.map((r) => [Number(r.u), Number(r.n)]));
  const names = (list: number[] | undefined, map: Map<number, string>): string[] => (list ?? []).map((i) => map.get(i) ?? '').filter((n) => n !== '');
  return users.map((u) => Object.assign(u, { roleNames: names(roleOf.get(u.id), roles), groupNames: names(groupOf.get(u.id), groups), keyCount: keys.get(u.id) ?? 0 }));
}

/** Finds users by id, email or name (sshportal's rule), in the order given; unknown ones throw NotFoundError. */
export async function findUsers(m: EntityManager, identifiers: readonly string[], relations?: FindOptionsRelations<User>): Promise<User[]> {
  if (identifiers.length === 0) return [];
  checkIdentifierCount(identifiers, 'user');
  const { ids, names } = splitIdentifiers(identifiers);
  const where = [
    ...(ids.length > 0 ? [{ id: In(ids) }] : []),
    ...(names.length > 0 ? [{ name: In(names) }, { email: In(names) }] : []),
  ];
  const rows = await m.find(User, { where, relations });
  return orderByIdentifiers(rows, identifiers, 'user', (u) => [String(u.id), u.name, u.email]);
}

/** Finds roles by name or id. */
export function findRoles(m: EntityManager, identifiers: readonly string[]): Promise<UserRole[]> {
  return findNamed(m, UserRole, identifiers, 'role');
}

/** Throws AlreadyExistsError when another user already has `name`. */
export async function assertUserNameFree(m: EntityManager, name: string, exceptId?: number): Promise<void> {
  if (await nameTaken(m, User, name, exceptId)) throw new AlreadyExistsError(`user '${name}' already exists`);
}

/**
 * Throws ConflictError when no user would hold the admin role any more (nobody
 * could administer the portal). Called inside the transaction that took a role
 * or a user away, after the change. On MySQL the count is a locking read: a
 * plain one reads the transaction's snapshot, so two admins each taking the
 * other's role (or removing the other) at the same moment both saw one admin
 * left and both committed, leaving none. Locking, the count sees the other's
 * committed change, or waits for it (a deadlock between the two is retried by
 * the transaction, whose count then sees it). SQLite runs transactions one at
 * a time.
 */
export async function assertAdminRemains(m: EntityManager): Promise<void> {
  const qb = m.createQueryBuilder(User, 'u')
    .innerJoin('user_user_roles', 'ur', 'ur.user_id = u.id').innerJoin(UserRole, 'r', 'r.id = ur.user_role_id')
    .where('r.name = :admin', { admin: 'admin' });
  const admins = await (m.dataSource.options.type === 'better-sqlite3' ? qb : qb.setLock('pessimistic_read')).getCount();
  if (admins === 0) throw new ConflictError('this would leave the portal without any admin');
}

/** Which of `among` the user holds (read fresh: a role taken away applies at once). */
export async function userRoleNames(m: EntityManager, userId: number, among: readonly string[]): Promise<string[]> {
  const rows = await m.createQueryBuilder(UserRole, 'r')
    .innerJoin('user_user_roles', 'ur', 'ur.user_role_id = r.id')
    .where('ur.user_id = :id', { id: userId })
    .andWhere({ name: In([...among]) })
    .select(['r.name'])
    .getMany();
  return rows.map((r) => r.name);
}

/** Whether a user with this id exists. */
export function userExists(m: EntityManager, id: number): Promise<boolean> {
  return m.existsBy(User, { id });
}
