import { In, type EntityManager } from 'typeorm';
import { AlreadyExistsError } from '../../errors.js';
import { TunnelKey, UserKey } from '../entities/index.js';
import { findByIds, splitIdentifiers } from './common.js';
import { findUsers } from './users.js';

/** User keys newest first (only the newest with `latest`), with their users; two queries. */
export function listUserKeys(m: EntityManager, latest: boolean): Promise<UserKey[]> {
  return m.find(UserKey, { relations: { user: true }, order: { createdAt: 'DESC', id: 'DESC' }, take: latest ? 1 : undefined });
}

/** User keys by id; `withUser` loads their users (for `inspect`). */
export function findUserKeys(m: EntityManager, identifiers: readonly string[], withUser = false): Promise<UserKey[]> {
  return findByIds(m, UserKey, identifiers, 'user key', withUser ? { user: true } : undefined);
}

/** For `userkey rm`: numbers are key ids, anything else names a user whose keys all go. */
export async function findUserKeysOrUsersKeys(m: EntityManager, identifiers: readonly string[]): Promise<UserKey[]> {
  const { ids, names } = splitIdentifiers(identifiers);
  const byId = await findUserKeys(m, ids.map(String));
  const users = await findUsers(m, names);
  const byUser = users.length === 0 ? [] : await m.find(UserKey, { where: { userId: In(users.map((u) => u.id)) } });
  return [...byId, ...byUser.filter((k) => !byId.some((b) => b.id === k.id))];
}

/** Throws AlreadyExistsError when a key with this fingerprint is bound to a user. */
export async function assertKeyUnbound(m: EntityManager, fingerprint: string): Promise<void> {
  if ((await m.countBy(UserKey, { fingerprint })) > 0) throw new AlreadyExistsError('this key is already associated with a user');
  // Keys stay in their lane: a tunnel connector key never becomes a user key.
  if ((await m.countBy(TunnelKey, { fingerprint })) > 0) throw new AlreadyExistsError('this key is a tunnel connector key; use another key');
}
