import type { EntityManager } from 'typeorm';
import { hashToken } from '../crypto/tokens.js';
import { AlreadyExistsError, NotFoundError } from '../errors.js';
import type { PublicKeyInfo } from '../crypto/ssh-keys.js';
import type { Database } from './database.js';
import { TunnelKey, User, UserKey } from './entities/index.js';
import { isUniqueViolation } from './queries/common.js';
import { recordEvent } from './events.js';
import { userByKey } from './reads/users.js';
import { sqlOf } from './sql.js';

/** The user a key fingerprint belongs to, with roles and groups, or null (plain SQL: every login asks, twice). */
export function findUserByKey(m: EntityManager, fingerprint: string): Promise<User | null> {
  return userByKey(sqlOf(m), fingerprint);
}

/** Whether a key is already bound to some user. */
export async function keyIsBound(m: EntityManager, fingerprint: string): Promise<boolean> {
  return (await m.countBy(UserKey, { fingerprint })) > 0;
}

/** The user holding a valid (unexpired) invite token, or null. */
export async function findInvitedUser(m: EntityManager, token: string, now: Date): Promise<User | null> {
  if (token === '') return null;
  // Looked up by its hash: the row found holds exactly this token's hash.
  const user = await m.findOneBy(User, { inviteToken: hashToken(token) });
  if (!user) return null;
  if (user.inviteExpiresAt && user.inviteExpiresAt.getTime() <= now.getTime()) return null;
  return user;
}

/**
 * Binds `key` to the user invited with `token`, in one transaction: the token
 * must still be valid and the key unbound; the token is consumed (single use).
 *
 * The token is consumed first, by an UPDATE that only matches while the row
 * still holds this token's hash: of concurrent redemptions (several nodes, or
 * one client racing itself) exactly one changes the row; the others wait on its
 * row lock, then match nothing and are refused. Taking that exclusive lock
 * before anything else (the key's foreign key only needs a shared one) also
 * keeps InnoDB from picking a deadlock victim among them.
 */
export async function redeemInvite(db: Database, token: string, key: PublicKeyInfo, authorizedKey: string, remoteAddr: string, now: Date): Promise<User> {
  return db.transaction(async (m) => {
    const user = await findInvitedUser(m, token, now);
    if (!user) throw new NotFoundError('invalid or expired invite token');
    const consumed = await m.update(User, { id: user.id, inviteToken: hashToken(token) }, { inviteToken: '', inviteExpiresAt: null });
    if (consumed.affected !== 1) throw new NotFoundError('invalid or expired invite token');
    if (await keyIsBound(m, key.fingerprint)) throw new AlreadyExistsError('this key is already associated with a user');
    // Keys stay in their lane: a connector key never becomes a user key.
    if ((await m.countBy(TunnelKey, { fingerprint: key.fingerprint })) > 0) throw new AlreadyExistsError('this key is a tunnel connector key; use another key for this invite');
    await m.save(m.create(UserKey, {
      key: key.blob, fingerprint: key.fingerprint, authorizedKey, userId: user.id, comment: 'created by invite',
    })).catch((err: unknown) => {
      // The same key redeemed concurrently for another invite.
      throw isUniqueViolation(err) ? new AlreadyExistsError('this key is already associated with a user') : err;
    });
    await recordEvent(m, {
      authorId: user.id, domain: 'user', action: 'invite-redeemed', entity: user.name,
      args: { fingerprint: key.fingerprint, remote_addr: remoteAddr },
    });
    return user;
  });
}
