/**
 * Cheaper key objects for ssh2's curve25519 key exchange (every login runs
 * two: the user's connection and the portal's to the target).
 *
 * ssh2 moves X25519 keys through DER: it exports its public key as SPKI DER
 * (twice per exchange) and wraps the peer's 32 bytes in SPKI DER to import
 * them. With OpenSSL 3 each DER export or import goes through its generic
 * encoder/decoder lookup: measured here ~130 µs each, against ~3 µs to export
 * the same key as JWK and ~20 µs to import it from JWK (a raw-key call).
 * About 0.4 ms of CPU per exchange, 0.8 ms per relayed login (issue 13).
 *
 * The bytes are the same: an X25519 SPKI is a fixed 12-byte header and the
 * raw key (RFC 8410), so the DER ssh2 gets is built from the raw key and a DER
 * it hands in is read back as the raw key. Everything else goes to
 * node:crypto unchanged.
 *
 * The portal's client checks the target's host-key signature in the same
 * module, with a key ssh2 parses from the exchange and verifies through its
 * PEM text (~320 µs for ed25519): that key verifies with a key object instead
 * (~160 µs, key-objects.ts).
 *
 * ssh2 takes `generateKeyPairSync` and `createPublicKey` from node:crypto when
 * its key-exchange module loads: the faster ones are swapped in only for that
 * load (as lib/ssh/padding-pool.ts does), so nothing else in the process sees
 * them. Import this module before anything loads ssh2; imported later it
 * changes nothing and says so.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ParsedKey } from 'ssh2';
import { withKeyObjects } from './key-objects.js';

/** The DER header of an X25519 SubjectPublicKeyInfo (RFC 8410 §4), followed by the 32-byte key. */
const X25519_SPKI_HEADER = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_KEY_BYTES = 32;

/** The raw key of an X25519 SPKI DER, or undefined if `der` is anything else. Pure. */
export function x25519RawOfSpki(der: Buffer): Buffer | undefined {
  if (der.length !== X25519_SPKI_HEADER.length + X25519_KEY_BYTES) return undefined;
  if (der.compare(X25519_SPKI_HEADER, 0, X25519_SPKI_HEADER.length, 0, X25519_SPKI_HEADER.length) !== 0) return undefined;
  return der.subarray(X25519_SPKI_HEADER.length);
}

/** The SPKI DER of a raw X25519 public key. Pure. */
export function x25519SpkiOfRaw(raw: Buffer): Buffer {
  if (raw.length !== X25519_KEY_BYTES) throw new RangeError('an X25519 public key is 32 bytes');
  return Buffer.concat([X25519_SPKI_HEADER, raw]);
}

/** Whether export options ask for SPKI DER (what ssh2 asks for). */
function asksSpkiDer(options: unknown): boolean {
  if (typeof options !== 'object' || options === null) return false;
  const o = options as { type?: unknown; format?: unknown };
  return o.type === 'spki' && o.format === 'der';
}

/** `pub` (changed in place) exporting its SPKI DER from `raw`, its raw 32 bytes; other exports as before. */
export function withRawSpkiExport(pub: KeyObject, raw: Buffer): KeyObject {
  const exportKey = pub.export.bind(pub) as (options?: unknown) => unknown;
  const fast = (options?: unknown): unknown => (asksSpkiDer(options) ? x25519SpkiOfRaw(raw) : exportKey(options));
  Object.defineProperty(pub, 'export', { value: fast, configurable: true, writable: true });
  return pub;
}

/** node:crypto's own `createPublicKey`, whatever is swapped in while ssh2's key exchange loads. */
const importPublicKey = crypto.createPublicKey;

type GenerateKeyPairSync = typeof crypto.generateKeyPairSync;
type CreatePublicKey = typeof crypto.createPublicKey;

/**
 * A `generateKeyPairSync` whose X25519 public keys export SPKI DER from the
 * raw key. Exported for tests.
 *
 * The raw key comes from a JWK the generation itself encodes, and the public
 * key object ssh2 gets is imported from it: a generated key object is never
 * exported. In Node 20, exporting a freshly generated key object as JWK hangs
 * the process for good when a garbage collection during the export finalizes
 * the generation job, whose destructor waits for the key's mutex that the
 * export holds: a loop of generate-and-export hung within a few thousand keys
 * here, and a portal (or the bare relay of bench/ssh2-floor.ts) stopped
 * answering after some thousands of logins, its main thread in that futex.
 * Encoded during the generation, the job is still alive; an imported key has
 * no job. (ssh2's own DER export and its `diffieHellman` with the generated
 * private key went through 200,000 keys each.)
 */
export function rawX25519KeyPairs(original: GenerateKeyPairSync): GenerateKeyPairSync {
  const generate = original as (type: string, options?: unknown) => { publicKey: unknown; privateKey: unknown };
  const wrapped = (type: string, options?: unknown): { publicKey: unknown; privateKey: unknown } => {
    if (type !== 'x25519' || options !== undefined) return generate(type, options);
    const pair = generate(type, { publicKeyEncoding: { format: 'jwk' } });
    const x = (pair.publicKey as { x?: unknown }).x;
    if (typeof x !== 'string') throw new Error('X25519 key without its public value');
    const publicKey = importPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
    return { publicKey: withRawSpkiExport(publicKey, Buffer.from(x, 'base64url')), privateKey: pair.privateKey };
  };
  return wrapped as unknown as GenerateKeyPairSync;
}

/** A `createPublicKey` that imports X25519 SPKI DER as a raw key (JWK); everything else as before. Exported for tests. */
export function rawX25519Imports(original: CreatePublicKey): CreatePublicKey {
  const wrapped = (input: unknown): KeyObject => {
    if (typeof input === 'object' && input !== null && !(input instanceof crypto.KeyObject) && !Buffer.isBuffer(input)) {
      const { key, type, format } = input as { key?: unknown; type?: unknown; format?: unknown };
      const raw = type === 'spki' && format === 'der' && Buffer.isBuffer(key) ? x25519RawOfSpki(key) : undefined;
      if (raw) return original({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
    }
    return original(input as Parameters<CreatePublicKey>[0]);
  };
  return wrapped;
}

const require = createRequire(import.meta.url);
const kexModule = require.resolve('ssh2/lib/protocol/kex.js');

type ParseDerKey = (data: Buffer, type: string) => ParsedKey | Error;

/** A `parseDERKey` whose ed25519 keys verify with a key object. Exported for tests. */
export function verifyingWithKeyObjects(original: ParseDerKey): ParseDerKey {
  return (data, type) => {
    const key = original(data, type);
    return key instanceof Error ? key : withKeyObjects(key);
  };
}

const keyParserModule = require.resolve('ssh2/lib/protocol/keyParser.js');

/** Loads ssh2's key-exchange module with the functions above; false if it was already loaded (nothing changed). */
function install(): boolean {
  if (require.cache[kexModule]) return false;
  const keyParser = require(keyParserModule) as { parseDERKey: ParseDerKey };
  const { generateKeyPairSync, createPublicKey } = crypto;
  const { parseDERKey } = keyParser;
  crypto.generateKeyPairSync = rawX25519KeyPairs(generateKeyPairSync);
  crypto.createPublicKey = rawX25519Imports(createPublicKey);
  keyParser.parseDERKey = verifyingWithKeyObjects(parseDERKey);
  try {
    require(kexModule);
  } finally {
    crypto.generateKeyPairSync = generateKeyPairSync;
    crypto.createPublicKey = createPublicKey;
    keyParser.parseDERKey = parseDERKey;
  }
  return true;
}

/** Whether ssh2's key exchanges in this process use the raw-key functions. */
export const kexKeysInstalled = install();
