/**
 * ed25519 keys of ssh2 that sign and verify with key objects made once (see
 * signing-keys.ts for why). Imports nothing of ssh2 at run time, so that
 * modules which must load before ssh2 (kex-keys.ts) can use it.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { ParsedKey } from 'ssh2';

/** The length of an ed25519 public key. */
const ED25519_KEY_BYTES = 32;

/** Whether a key is one this module speeds up. */
function isEd25519(key: ParsedKey): boolean {
  return key.type === 'ssh-ed25519';
}

/**
 * The public key object of an ed25519 key, made from its raw 32 bytes (the end
 * of its SSH wire form) as JWK: OpenSSL reads PEM through its generic decoder,
 * ~6 times slower.
 */
function publicKeyObject(key: ParsedKey): KeyObject {
  const blob = key.getPublicSSH();
  const raw = blob.subarray(blob.length - ED25519_KEY_BYTES);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/**
 * `key` (changed in place) with sign/verify on key objects when it is
 * ed25519; other types, and keys node:crypto refuses, are returned as they are. The results are ssh2's:
 * a Buffer or boolean, or the Error (never thrown) a failure gives.
 */
export function withKeyObjects(key: ParsedKey): ParsedKey {
  if (!isEd25519(key)) return key;
  let pub: KeyObject;
  let priv: KeyObject | null;
  try {
    pub = publicKeyObject(key);
    const privatePem = key.isPrivateKey() ? key.getPrivatePEM() : null;
    priv = privatePem === null ? null : createPrivateKey(privatePem);
  } catch {
    // A key node:crypto will not take (a peer's host key, say) keeps ssh2's methods, which fail with an Error result.
    return key;
  }
  const signWith = (data: Buffer | string): Buffer | Error => {
    if (!priv) return new Error('No private key available');
    try {
      return sign(null, typeof data === 'string' ? Buffer.from(data) : data, priv);
    } catch (err) {
      return err instanceof Error ? err : new Error('signing failed');
    }
  };
  const verifyWith = (data: Buffer | string, signature: Buffer): boolean | Error => {
    try {
      return verify(null, typeof data === 'string' ? Buffer.from(data) : data, pub, signature);
    } catch (err) {
      return err instanceof Error ? err : new Error('verification failed');
    }
  };
  // ssh2 checks for an Error result; its typings only name the success types.
  key.sign = signWith as ParsedKey['sign'];
  key.verify = verifyWith as ParsedKey['verify'];
  return key;
}
