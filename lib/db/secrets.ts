import { Not, IsNull, type EntityManager } from 'typeorm';
import { createFieldCipher, isEncrypted, type FieldCipher } from '../crypto/field-cipher.js';
import { ConfigError } from '../errors.js';
import { restoreGenerationSetting } from './backup/generation.js';
import type { Database } from './database.js';
import { withClusterLock } from './data-source.js';
import { AuditKey, Host, Setting, SshKey } from './entities/index.js';

/** Settings row holding a value encrypted with the current AES key, to recognise a wrong key at start-up. */
export const verifierName = 'aes_key_verifier';
const verifierClear = 'sshportal-aes-key-verifier-v1';
/** Settings row holding the cluster key (the node link's private key), encrypted like every secret. */
export const clusterKeySetting = 'cluster_key';

/**
 * Settings that belong to this portal and its database, not to its
 * configuration: a restore keeps them as they are and never takes a backup's.
 * A backup's verifier (or none) stopped the next start with "wrong --aes-key";
 * a backup's cluster key, one its author knows, would let them log in as a
 * node (`peer:`), which no ACL, event or recording covers. The restore
 * generation (backup/generation.ts) counts this database's own restores.
 */
export const portalOwnSettings: ReadonlySet<string> = new Set([verifierName, clusterKeySetting, restoreGenerationSetting]);

/**
 * Whether a setting named `name` is one of {@link portalOwnSettings}, case
 * aside: MySQL's collation takes `Cluster_Key` for `cluster_key`, so a
 * backup's setting of that name would collide with the portal's own.
 */
export function isPortalOwnSetting(name: string): boolean {
  return portalOwnSettings.has(name.toLowerCase());
}

/** What {@link prepareSecrets} did. */
export interface SecretsReport {
  /** Secret fields encrypted now (clear → encrypted, or re-encrypted on rotation). */
  converted: number;
  rotated: boolean;
}

/** Applies `convert` to every secret field (private keys, host passwords, the cluster key, audit signing keys). */
async function convertAll(m: EntityManager, convert: (stored: string) => string | null): Promise<number> {
  let n = 0;
  for (const k of await m.find(SshKey, { select: { id: true, privKey: true } })) {
    const v = convert(k.privKey);
    if (v !== null) { await m.update(SshKey, { id: k.id }, { privKey: v }); n++; }
  }
  for (const h of await m.find(Host, { where: { password: Not(IsNull()) }, select: { id: true, password: true } })) {
    const v = h.password ? convert(h.password) : null;
    if (v !== null) { await m.update(Host, { id: h.id }, { password: v }); n++; }
  }
  for (const row of await m.find(Setting, { where: { name: clusterKeySetting } })) {
    const v = convert(row.value);
    if (v !== null) { await m.update(Setting, { id: row.id }, { value: v }); n++; }
  }
  for (const k of await m.find(AuditKey, { where: { privateKey: Not(IsNull()) }, select: { id: true, privateKey: true } })) {
    const v = k.privateKey ? convert(k.privateKey) : null;
    if (v !== null) { await m.update(AuditKey, { id: k.id }, { privateKey: v }); n++; }
  }
  return n;
}

async function writeVerifier(m: EntityManager, cipher: FieldCipher): Promise<void> {
  const value = cipher.encrypt(verifierClear);
  const row = await m.findOneBy(Setting, { name: verifierName });
  if (row) await m.update(Setting, { id: row.id }, { value });
  else await m.save(m.create(Setting, { name: verifierName, value }));
}

function opens(cipher: FieldCipher, stored: string): boolean {
  try {
    return cipher.decrypt(stored) === verifierClear;
  } catch {
    return false;
  }
}

async function anyEncrypted(m: EntityManager): Promise<boolean> {
  const keys = await m.find(SshKey, { select: { privKey: true } });
  const hosts = await m.find(Host, { where: { password: Not(IsNull()) }, select: { password: true } });
  const settings = await m.find(Setting, { where: { name: clusterKeySetting }, select: { value: true } });
  const audit = await m.find(AuditKey, { where: { privateKey: Not(IsNull()) }, select: { privateKey: true } });
  return [...keys.map((k) => k.privKey), ...hosts.map((h) => h.password ?? ''), ...settings.map((s) => s.value), ...audit.map((k) => k.privateKey ?? '')]
    .some(isEncrypted);
}

/**
 * Start-up check of secrets at rest, under the cluster lock, in one transaction:
 * a wrong `--aes-key` fails with one clear message (checked against a stored
 * verifier); a key on a database with clear secrets encrypts them; with
 * `previousKey` (key rotation) everything is re-encrypted with the new key;
 * no key on a database with encrypted secrets is refused.
 */
export async function prepareSecrets(db: Database, previousKey: string | null): Promise<SecretsReport> {
  return withClusterLock(db.ds, 'sshportal_secrets', () => db.transaction(async (m) => {
    const verifier = await m.findOneBy(Setting, { name: verifierName });
    if (!db.cipher.enabled) {
      if (verifier || (await anyEncrypted(m))) throw new ConfigError('this database holds encrypted secrets: start the server with its --aes-key');
      return { converted: 0, rotated: false };
    }
    if (verifier && opens(db.cipher, verifier.value)) {
      // Values written by a node without the key (or restored in clear) are encrypted now.
      const converted = await convertAll(m, (v) => (isEncrypted(v) ? null : db.cipher.encrypt(v)));
      return { converted, rotated: false };
    }
    const previous = previousKey ? createFieldCipher(previousKey) : null;
    if (verifier && !(previous && opens(previous, verifier.value))) {
      throw new ConfigError('wrong --aes-key: it does not open the secrets stored in this database');
    }
    const from = previous ?? createFieldCipher(null);
    let converted: number;
    try {
      converted = await convertAll(m, (v) => db.cipher.encrypt(from.decrypt(v)));
    } catch {
      throw new ConfigError('wrong --aes-key: it does not open the secrets stored in this database');
    }
    await writeVerifier(m, db.cipher);
    return { converted, rotated: previous !== null };
  }));
}
