/**
 * ed25519 keys that sign and verify with a key object made once. ssh2's
 * parsed keys hand their PEM text to node:crypto on every signature, which
 * parses it again each time: ~0.45 ms per signature and ~0.18 ms per
 * verification, against ~0.05 ms with a key object. Every login signs with
 * the portal's host key and verifies the user's signature, so the keys the
 * portal holds for a long time (its host key) and the user keys it verifies
 * go through here. Other key types keep ssh2's own methods.
 */
import ssh2, { type ParsedKey } from 'ssh2';
import { withKeyObjects } from './key-objects.js';

/** Parses a private key (OpenSSH or PEM text) for ssh2, signing with a key object when ed25519. */
export function parseSigningKey(text: string, passphrase?: string): ParsedKey {
  const parsed: unknown = ssh2.utils.parseKey(text, passphrase);
  if (parsed instanceof Error) throw parsed;
  // OpenSSH's format may hold several keys; ssh2 (and sshd) use the first.
  const key = (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey | undefined;
  if (!key?.isPrivateKey()) throw new Error('not a private key');
  return withKeyObjects(key);
}

/** How many user keys stay parsed (a login verifies its key once; the same keys come back). */
const maxPublicKeys = 256;
const publicKeys = new Map<string, ParsedKey>();

/** How many parsed public keys are kept now (for tests of the bound). */
export function publicKeysKept(): number {
  return publicKeys.size;
}

/**
 * The parsed public key of an SSH wire-format blob, or null when ssh2 cannot
 * parse it. Parsed keys are kept (a few hundred, oldest dropped first): a
 * public key is no secret and says nothing about who may log in.
 */
export function parsePublicKeyBlob(blob: Buffer): ParsedKey | null {
  const id = blob.toString('base64');
  const known = publicKeys.get(id);
  if (known) return known;
  const parsed = ssh2.utils.parseKey(blob);
  if (parsed instanceof Error || Array.isArray(parsed)) return null;
  const key = withKeyObjects(parsed);
  if (publicKeys.size >= maxPublicKeys) {
    const oldest = publicKeys.keys().next();
    if (!oldest.done) publicKeys.delete(oldest.value);
  }
  publicKeys.set(id, key);
  return key;
}

