/**
 * Whether ssh2's optional native crypto binding is loaded. Without it ssh2
 * installs silently and AES-GCM drops to a fraction of its speed, so the
 * server should warn loudly at startup when this returns false.
 */
import { createRequire } from 'node:module';

/** True when ssh2's native crypto binding is available. */
export function nativeCryptoAvailable(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const crypto: unknown = require('ssh2/lib/protocol/crypto.js');
    return typeof crypto === 'object' && crypto !== null && (crypto as { bindingAvailable?: unknown }).bindingAvailable === true;
  } catch {
    return false;
  }
}
