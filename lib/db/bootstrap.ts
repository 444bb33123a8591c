import type { EntityManager } from 'typeorm';
import { generateKeyPair } from '../crypto/ssh-keys.js';
import { hashToken, randomToken } from '../crypto/tokens.js';
import type { Database } from './database.js';
import { withClusterLock } from './data-source.js';
import { Acl, HostGroup, Setting, SshKey, User, UserGroup, UserRole } from './entities/index.js';
import { clusterKeySetting } from './secrets.js';

/** Name of the ssh key that is the portal's own SSH host key. */
export const hostKeyName = 'host';
/** Name of the default client key used to reach targets. */
export const defaultKeyName = 'default';

/** What bootstrap did that the caller must tell the operator. */
export interface BootstrapResult {
  /** The portal's host key, decrypted (OpenSSH private key). */
  hostPrivateKey: string;
  /** The cluster key, decrypted (OpenSSH private key): the node link's credential. */
  clusterPrivateKey: string;
  /** Set when the admin user was created now: its invite token, shown once. */
  adminInviteToken: string | null;
}

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  /** SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN, when set. */
  adminInviteToken: string | null;
}

async function ensureKey(m: EntityManager, db: Database, name: string, comment: string): Promise<SshKey> {
  const found = await m.findOneBy(SshKey, { name });
  if (found) return found;
  const pair = generateKeyPair('ed25519', 256, comment);
  return m.save(m.create(SshKey, {
    name, type: pair.type, length: pair.length, fingerprint: pair.fingerprint,
    privKey: db.cipher.encrypt(pair.privateKey), pubKey: pair.publicKey, comment,
  }));
}

/** The cluster key: one ed25519 key shared by every node through the database, kept with the secrets. */
async function ensureClusterKey(m: EntityManager, db: Database): Promise<string> {
  const found = await m.findOneBy(Setting, { name: clusterKeySetting });
  if (found) return db.cipher.decrypt(found.value);
  const pair = generateKeyPair('ed25519', 256, 'sshportal cluster key');
  await m.save(m.create(Setting, { name: clusterKeySetting, value: db.cipher.encrypt(pair.privateKey) }));
  return pair.privateKey;
}

async function ensureNamed<T extends HostGroup | UserGroup | UserRole>(
  m: EntityManager, entity: new () => T, name: string, extra: Partial<T>,
): Promise<{ row: T; created: boolean }> {
  const repo = m.getRepository<T>(entity);
  const found = await repo.findOne({ where: { name } as never });
  if (found) return { row: found, created: false };
  return { row: await repo.save(repo.create({ name, ...extra } as T)), created: true };
}

/**
 * First-start setup, idempotent and safe when several nodes start at once on one
 * MySQL database (one transaction under a cluster-wide lock): host key, `default`
 * client key, the cluster key, `default` groups, roles, the default ACL (only when the groups are
 * created) and the `admin` user (only when there is no user at all).
 */
export async function bootstrap(db: Database, opts: BootstrapOptions): Promise<BootstrapResult> {
  return withClusterLock(db.ds, 'sshportal_bootstrap', () => db.transaction(async (m) => {
    const hostKey = await ensureKey(m, db, hostKeyName, 'sshportal host key');
    await ensureKey(m, db, defaultKeyName, 'created by sshportal');
    const clusterPrivateKey = await ensureClusterKey(m, db);
    const hg = await ensureNamed(m, HostGroup, 'default', { comment: 'created by sshportal' });
    const ug = await ensureNamed(m, UserGroup, 'default', { comment: 'created by sshportal' });
    const admin = await ensureNamed(m, UserRole, 'admin', {});
    await ensureNamed(m, UserRole, 'listhosts', {});
    if (hg.created && ug.created) {
      await m.save(m.create(Acl, {
        action: 'allow', weight: 0, hostPattern: '', comment: 'created by sshportal',
        userGroups: [ug.row], hostGroups: [hg.row],
      }));
    }
    let adminInviteToken: string | null = null;
    if ((await m.count(User)) === 0) {
      adminInviteToken = opts.adminInviteToken ?? randomToken(32);
      await m.save(m.create(User, {
        name: 'admin', email: 'admin@localhost', comment: 'created by sshportal',
        inviteToken: hashToken(adminInviteToken),
        // The first admin's invite never expires: on an empty database it is the only way in.
        inviteExpiresAt: null,
        roles: [admin.row], groups: [ug.row],
      }));
    }
    return { hostPrivateKey: db.cipher.decrypt(hostKey.privKey), clusterPrivateKey, adminInviteToken };
  }));
}
