import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { AppError } from '../errors.js';

/** Prefix of encrypted values: format version 1 is AES-GCM, 12-byte IV, 16-byte tag. */
const prefix = 'enc:v1:';

/** A decrypt failure (wrong key or tampered value); never shown as data. */
class DecryptError extends AppError {
  constructor() { super('config', 'cannot decrypt a stored secret: wrong --aes-key or corrupted data'); }
}

/** Encrypts and decrypts secret fields at rest. */
export interface FieldCipher {
  /** Whether values are really encrypted (an AES key is set). */
  readonly enabled: boolean;
  encrypt(clear: string): string;
  decrypt(stored: string): string;
}

/** Whether a stored value is in the encrypted format. */
export function isEncrypted(stored: string): boolean {
  return stored.startsWith(prefix);
}

/**
 * A cipher for `--aes-key` (16, 24 or 32 bytes → AES-128/192/256-GCM),
 * or the identity when no key is set (then encrypted values cannot be read).
 */
export function createFieldCipher(key: string | null): FieldCipher {
  if (key === null) {
    return {
      enabled: false,
      encrypt: (clear) => clear,
      decrypt: (stored) => { if (isEncrypted(stored)) throw new DecryptError(); return stored; },
    };
  }
  const k = Buffer.from(key, 'utf8');
  const algo = `aes-${k.length * 8}-gcm` as CipherGCMTypes;
  return {
    enabled: true,
    encrypt(clear) {
      const iv = randomBytes(12);
      const c = createCipheriv(algo, k, iv);
      const ct = Buffer.concat([c.update(clear, 'utf8'), c.final()]);
      return prefix + Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
    },
    decrypt(stored) {
      if (!isEncrypted(stored)) return stored;
      const raw = Buffer.from(stored.slice(prefix.length), 'base64');
      if (raw.length < 28) throw new DecryptError();
      try {
        const d = createDecipheriv(algo, k, raw.subarray(0, 12));
        d.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
      } catch {
        throw new DecryptError();
      }
    },
  };
}
