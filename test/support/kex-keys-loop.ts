/**
 * Generates X25519 pairs through the portal's key-exchange wrapper and
 * exports each public key as ssh2 does, with garbage being made alongside (so
 * that collections fall inside the exports), N times; prints `N pairs`.
 * test/unit/ssh/kex-keys.test.ts runs it in a child with a timeout: Node 20
 * deadlocked exporting a freshly generated key as JWK.
 */
import crypto from 'node:crypto';
import { rawX25519KeyPairs } from '../../lib/ssh/kex-keys.js';

const n = Number(process.argv[2] ?? 10000);
const generate = rawX25519KeyPairs(crypto.generateKeyPairSync);
let garbage: { i: number; s: string }[] = [];
for (let i = 0; i < n; i++) {
  generate('x25519').publicKey.export({ type: 'spki', format: 'der' });
  garbage.push({ i, s: `x${i}` });
  if (garbage.length > 1000) garbage = [];
}
console.log(`${n} pairs`);
