/**
 * Reverse-tunnel rows: connector keys bound to hosts and single-use host
 * invites (stored as token hashes).
 */
import { In, LessThanOrEqual, type EntityManager } from 'typeorm';
import type { PublicKeyInfo } from '../../crypto/ssh-keys.js';
import { hashToken } from '../../crypto/tokens.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { Database } from '../database.js';
import { Host, TunnelInvite, TunnelKey, UserKey } from '../entities/index.js';
import { recordEvent } from '../events.js';
import { isUniqueViolation } from './common.js';

/** Most connector keys one host may hold (a host has at most 4 live connectors; keys may rotate). */
const maxTunnelKeysPerHost = 16;

/** The host a valid (unexpired, unused) host invite token enrolls, or null. */
export async function findTunnelInvite(m: EntityManager, token: string, now: Date): Promise<{ invite: TunnelInvite; host: Host } | null> {
  if (token === '') return null;
  const invite = await m.findOneBy(TunnelInvite, { tokenHash: hashToken(token) });
  if (!invite || invite.expiresAt.getTime() <= now.getTime()) return null;
  const host = await m.findOneBy(Host, { id: invite.hostId });
  return host ? { invite, host } : null;
}

/** Stores a new host invite (its hash only); expired ones of the same host are swept. */
export async function createTunnelInvite(m: EntityManager, hostId: number, token: string, expiresAt: Date, now: Date): Promise<void> {
  await m.delete(TunnelInvite, { hostId, expiresAt: LessThanOrEqual(now) });
  await m.save(m.create(TunnelInvite, { hostId, tokenHash: hashToken(token), expiresAt, deletedAt: null }));
}

/**
 * Binds `key` to the host invited with `token`, in one transaction: the invite
 * is consumed first (a DELETE only one concurrent redemption can win), the key
 * must belong to no user (keys stay in their lane), then the key is stored.
 */
export async function redeemTunnelInvite(db: Database, token: string, key: PublicKeyInfo, remoteAddr: string, now: Date): Promise<Host> {
  return db.transaction(async (m) => {
    const found = await findTunnelInvite(m, token, now);
    if (!found) throw new NotFoundError('invalid or expired host invite token');
    const consumed = await m.delete(TunnelInvite, { id: found.invite.id });
    if (consumed.affected !== 1) throw new NotFoundError('invalid or expired host invite token');
    if ((await m.countBy(UserKey, { fingerprint: key.fingerprint })) > 0) throw new ConflictError(`key ${key.fingerprint} is a user key; a connector needs its own key`);
    if ((await m.countBy(TunnelKey, { hostId: found.host.id })) >= maxTunnelKeysPerHost) {
      throw new ConflictError(`host '${found.host.name}' already has ${maxTunnelKeysPerHost} connector keys; revoke some first`);
    }
    if ((await m.countBy(TunnelKey, { hostId: found.host.id, fingerprint: key.fingerprint })) === 0) {
      await m.save(m.create(TunnelKey, {
        hostId: found.host.id, fingerprint: key.fingerprint, authorizedKey: `${key.algo} ${key.blob}`, comment: 'enrolled by host invite', deletedAt: null,
      })).catch((err: unknown) => { throw isUniqueViolation(err) ? new ConflictError('this key was enrolled concurrently') : err; });
    }
    await recordEvent(m, { authorId: null, domain: 'tunnel', action: 'enrolled', entity: found.host.name, args: { fingerprint: key.fingerprint, remote_addr: remoteAddr } });
    return found.host;
  });
}

/** The hosts `fingerprint` is a connector key of. */
export async function tunnelKeyHosts(m: EntityManager, fingerprint: string): Promise<Host[]> {
  const keys = await m.find(TunnelKey, { where: { fingerprint }, select: { id: true, hostId: true }, take: maxTunnelKeysPerHost * 4 });
  if (keys.length === 0) return [];
  return m.find(Host, { where: { id: In(keys.map((k) => k.hostId)) } });
}

/** The connector keys of `hostIds`, oldest first. */
export function listTunnelKeys(m: EntityManager, hostIds: readonly number[]): Promise<TunnelKey[]> {
  if (hostIds.length === 0) return Promise.resolve([]);
  return m.find(TunnelKey, { where: { hostId: In([...hostIds]) }, order: { id: 'ASC' } });
}

/** Deletes `hostId`'s connector keys (those of `fingerprints`, or all); returns the fingerprints removed. */
export async function revokeTunnelKeys(m: EntityManager, hostId: number, fingerprints: readonly string[]): Promise<string[]> {
  const keys = await listTunnelKeys(m, [hostId]);
  const missing = fingerprints.filter((f) => !keys.some((k) => k.fingerprint === f));
  if (missing.length > 0) throw new NotFoundError(`no connector key ${missing.map((f) => `'${f}'`).join(', ')} on this host`);
  const doomed = fingerprints.length === 0 ? keys : keys.filter((k) => fingerprints.includes(k.fingerprint));
  if (doomed.length > 0) await m.delete(TunnelKey, doomed.map((k) => k.id));
  return doomed.map((k) => k.fingerprint);
}

/** Forgets everything that made `hostIds` tunnel hosts' connectors welcome: their connector keys and pending invites. */
export async function forgetTunnelHosts(m: EntityManager, hostIds: readonly number[]): Promise<void> {
  if (hostIds.length === 0) return;
  await m.delete(TunnelKey, { hostId: In([...hostIds]) });
  await m.delete(TunnelInvite, { hostId: In([...hostIds]) });
}
