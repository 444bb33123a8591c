/**
 * The audit signing key: one ed25519 key per database, created on first start,
 * its private half encrypted with `--aes-key` like every other secret.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { FieldCipher } from '../../crypto/field-cipher.js';
import { InvalidArgumentError } from '../../errors.js';
import type { Database } from '../database.js';
import { withClusterLock } from '../data-source.js';
import { AuditKey } from '../entities/index.js';

/** Signs checkpoints for one node. */
export interface ChainSigner {
  /** Base64 SPKI DER of the public key, as stored in checkpoints. */
  readonly publicKey: string;
  readonly node: string;
  /** A checkpoint every this many events. */
  readonly every: number;
  sign(message: Buffer): string;
}

/**
 * Default checkpoint interval (events). The verifier requires a checkpoint at
 * every multiple of it (a signer writes it atomically with the event): a
 * signer with another interval must divide it.
 */
export const defaultCheckpointEvery = 100;

/** Base64 SPKI DER of a public key. */
export function publicKeyId(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** The PEM form of a stored public key (what `config audit-key` prints). */
export function publicKeyPem(stored: string): string {
  return createPublicKey({ key: Buffer.from(stored, 'base64'), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString();
}

/** Whether `signature` (base64) is `message` signed by the stored public key; false for malformed input. */
export function verifySignature(stored: string, message: Buffer, signature: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(stored, 'base64'), format: 'der', type: 'spki' });
    return verify(null, message, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** The signing key row, created when the database has none (call under the cluster lock). */
async function ensureSigningKey(m: EntityManager, cipher: FieldCipher): Promise<AuditKey> {
  const found = await m.createQueryBuilder(AuditKey, 'k').where('k.private_key IS NOT NULL').orderBy('k.id', 'ASC').getOne();
  if (found) return found;
  const pair = generateKeyPairSync('ed25519');
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return m.save(m.create(AuditKey, { publicKey: publicKeyId(pair.publicKey), privateKey: cipher.encrypt(pem) }));
}

/** A signer over a stored key (decrypted now: a wrong `--aes-key` fails here, not at the first checkpoint). */
function signerFromKey(key: AuditKey, cipher: FieldCipher, node: string, every = defaultCheckpointEvery): ChainSigner {
  const priv = createPrivateKey(cipher.decrypt(key.privateKey ?? ''));
  return { publicKey: key.publicKey, node, every, sign: (message) => sign(null, message, priv).toString('base64') };
}

/**
 * Creates the signing key on first start (under a cluster-wide lock, so two
 * nodes starting together agree on one) and returns this node's signer.
 */
export async function loadSigner(db: Database, node: string, every = defaultCheckpointEvery): Promise<ChainSigner> {
  const key = await withClusterLock(db.ds, 'sshportal_audit_key', () => db.transaction((m) => ensureSigningKey(m, db.cipher)));
  return signerFromKey(key, db.cipher, node, every);
}

/**
 * The ed25519 public keys of a PEM file (`config audit-key` output; several
 * blocks may follow each other), as stored in checkpoints. Throws on anything else.
 */
export function parsePublicKeys(text: string): string[] {
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new InvalidArgumentError('the public key file holds no PEM public key (the output of `config audit-key`)');
  return blocks.map((pem) => {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new InvalidArgumentError('the public key file holds a malformed PEM public key');
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new InvalidArgumentError('the public key file holds a key that is not ed25519');
    return publicKeyId(key);
  });
}
