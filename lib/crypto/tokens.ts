import { createHash, randomBytes } from 'node:crypto';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random token of `length` letters and digits (~5.95 bits each). */
export function randomToken(length = 32): string {
  const out: string[] = [];
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out.push(alphabet[b % 62]);
    }
  }
  return out.join('');
}

/** Prefix of stored token hashes. */
const tokenHashPrefix = 'sha256:';

/**
 * The lookup hash stored for an invite token. Tokens are long random strings,
 * so a plain SHA-256 is enough to make a leaked database useless for logging in.
 */
export function hashToken(token: string): string {
  return tokenHashPrefix + createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a stored value is already a token hash (as opposed to a clear token from an old backup). */
export function isTokenHash(stored: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(stored);
}
