/**
 * Host-key helpers (pure): the OpenSSH `type base64` form the portal pins,
 * and OpenSSH-style SHA256 fingerprints for messages.
 */
import { createHash } from 'node:crypto';

/** The key type named at the start of an SSH public-key blob. */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) throw new Error('invalid public key blob');
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) throw new Error('invalid public key blob');
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Formats a public-key blob as `type base64` (authorized_keys / known_hosts form). */
export function formatHostKey(blob: Buffer): string {
  return `${keyTypeOfBlob(blob)} ${blob.toString('base64')}`;
}

/** OpenSSH `SHA256:…` fingerprint of a key in `type base64` form (or a bare blob). */
export function fingerprintOf(key: string | Buffer): string {
  let blob: Buffer;
  if (Buffer.isBuffer(key)) blob = key;
  else {
    const parts = key.trim().split(/\s+/);
    blob = Buffer.from(parts.length > 1 ? (parts[1] as string) : (parts[0] as string), 'base64');
  }
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}
