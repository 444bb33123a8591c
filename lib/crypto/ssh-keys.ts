import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { InvalidArgumentError } from '../errors.js';

const { utils } = ssh2;

/** Key algorithms the portal can generate. */
export type KeyType = 'ed25519' | 'rsa' | 'ecdsa';

/** A generated or imported key pair. */
export interface KeyPair {
  type: KeyType;
  length: number;
  /** OpenSSH private key text. */
  privateKey: string;
  /** authorized_keys line (`type base64 comment`). */
  publicKey: string;
  fingerprint: string;
}

/** A parsed public key. */
export interface PublicKeyInfo {
  /** SSH algorithm name, e.g. `ssh-ed25519`. */
  algo: string;
  /** base64 of the SSH wire-format key. */
  blob: string;
  fingerprint: string;
  comment: string;
}

/** A wire-format key given as bytes, as base64, or as an authorized_keys-style `type base64` line. */
export type KeyBlob = Buffer | string;

function blobOf(key: KeyBlob): Buffer {
  if (Buffer.isBuffer(key)) return key;
  const parts = key.trim().split(/\s+/);
  return Buffer.from(parts.length > 1 ? (parts[1]) : (parts[0]), 'base64');
}

/** `SHA256:…` fingerprint of a wire-format key (as OpenSSH prints it). */
export function fingerprintOf(key: KeyBlob): string {
  return 'SHA256:' + createHash('sha256').update(blobOf(key)).digest('base64').replace(/=+$/, '');
}

/** The key type named at the start of a wire-format key. */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) throw new InvalidArgumentError('invalid public key blob');
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) throw new InvalidArgumentError('invalid public key blob');
  return blob.subarray(4, 4 + len).toString('latin1');
}

const validLengths: Record<KeyType, readonly number[]> = { ed25519: [256], rsa: [2048, 3072, 4096, 8192], ecdsa: [256, 384, 521] };
const defaultLength: Record<KeyType, number> = { ed25519: 256, rsa: 2048, ecdsa: 256 };

/** Checks a `key create` type/length pair; returns the effective length. */
export function checkKeySpec(type: string, length: number | undefined): { type: KeyType; length: number } {
  if (type !== 'ed25519' && type !== 'rsa' && type !== 'ecdsa') throw new InvalidArgumentError(`invalid key type '${type}': expected ed25519, rsa or ecdsa`);
  const len = length === undefined || length === 0 ? defaultLength[type] : length;
  if (!validLengths[type].includes(len)) {
    throw new InvalidArgumentError(`invalid key length ${len} for ${type}: expected one of ${validLengths[type].join(', ')}`);
  }
  return { type, length: len };
}

type GeneratedText = { private: string; public: string };
type Generated = (err: Error | null, text: GeneratedText) => void;

function pairOf(type: KeyType, length: number, text: GeneratedText): KeyPair {
  const pub = parsePublicKey(text.public);
  return { type, length, privateKey: text.private, publicKey: text.public.trim(), fingerprint: pub.fingerprint };
}

function generateOnce(type: KeyType, length: number, comment: string): KeyPair {
  switch (type) {
    case 'ed25519': return pairOf(type, length, utils.generateKeyPairSync('ed25519', { comment }));
    case 'rsa': return pairOf(type, length, utils.generateKeyPairSync('rsa', { bits: length, comment }));
    case 'ecdsa': return pairOf(type, length, utils.generateKeyPairSync('ecdsa', { bits: length as 256 | 384 | 521, comment }));
  }
}

function generateOnceAsync(type: KeyType, length: number, comment: string): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    const done: Generated = (err, text) => {
      if (err) return reject(err);
      try { resolve(pairOf(type, length, text)); } catch (e) { reject(e instanceof Error ? e : new Error(String(e))); }
    };
    switch (type) {
      case 'ed25519': return utils.generateKeyPair('ed25519', { comment }, done);
      case 'rsa': return utils.generateKeyPair('rsa', { bits: length, comment }, done);
      case 'ecdsa': return utils.generateKeyPair('ecdsa', { bits: length as 256 | 384 | 521, comment }, done);
    }
  });
}

/** How many times a generation is tried (see {@link generateKeyPair}). */
const generateAttempts = 8;

/**
 * Generates a key pair with OpenSSH formats. ssh2's ed25519 generation drops a
 * leading zero byte about once in 200 keys, leaving a key that does not parse:
 * such a pair is thrown away and generated again. Synchronous: for start-up
 * (the portal's own ed25519 keys); a running portal uses {@link generateKeyPairAsync}.
 */
export function generateKeyPair(type: KeyType, length: number, comment = ''): KeyPair {
  for (let attempt = 1; ; attempt++) {
    try {
      return generateOnce(type, length, comment);
    } catch (err) {
      if (attempt >= generateAttempts) throw err;
    }
  }
}

/**
 * {@link generateKeyPair} off the event loop (libuv's thread pool): an 8192-bit
 * RSA key takes 6–16 s of CPU here, and a synchronous one held every relayed
 * session and login of the portal that long.
 */
export async function generateKeyPairAsync(type: KeyType, length: number, comment = ''): Promise<KeyPair> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await generateOnceAsync(type, length, comment);
    } catch (err) {
      if (attempt >= generateAttempts) throw err;
    }
  }
}

/** Parses an authorized_keys line (or a bare `type base64`). */
export function parsePublicKey(line: string): PublicKeyInfo {
  const parsed = utils.parseKey(line.trim());
  if (parsed instanceof Error || Array.isArray(parsed)) throw new InvalidArgumentError('invalid public key: expected an authorized_keys line such as "ssh-ed25519 AAAA… comment"');
  if (parsed.isPrivateKey()) throw new InvalidArgumentError('expected a public key, got a private key');
  const blob = parsed.getPublicSSH();
  // ssh2 leaves `comment` unset for a bare `type base64` line, whatever its typings say.
  const comment = parsed.comment as string | undefined;
  return { algo: parsed.type, blob: blob.toString('base64'), fingerprint: fingerprintOf(blob), comment: comment ?? '' };
}

/** Parses a private key (OpenSSH or PEM) and derives its public half. */
export function parsePrivateKey(text: string, comment = ''): KeyPair {
  const parsed = utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) {
    throw new InvalidArgumentError('invalid private key: expected an unencrypted OpenSSH or PEM private key');
  }
  const blob = parsed.getPublicSSH();
  const algo = parsed.type;
  const type: KeyType = algo === 'ssh-ed25519' ? 'ed25519' : algo === 'ssh-rsa' ? 'rsa' : algo.startsWith('ecdsa-') ? 'ecdsa' : 'ed25519';
  const length = type === 'ed25519' ? 256 : type === 'ecdsa' ? Number(algo.replace(/^ecdsa-sha2-nistp/, '')) : rsaBits(blob);
  const c = comment || parsed.comment || '';
  return {
    type, length, privateKey: text.endsWith('\n') ? text : text + '\n',
    publicKey: `${algo} ${blob.toString('base64')}${c ? ' ' + c : ''}`, fingerprint: fingerprintOf(blob),
  };
}

/** Modulus size of an ssh-rsa wire-format key. */
function rsaBits(blob: Buffer): number {
  let off = 0;
  const next = (): Buffer => { const len = blob.readUInt32BE(off); const b = blob.subarray(off + 4, off + 4 + len); off += 4 + len; return b; };
  next(); next();
  const n = next();
  const lead = n[0] === 0 ? n.subarray(1) : n;
  return lead.length * 8;
}

/** Formats a wire-format key (bytes or base64) as `type base64` (authorized_keys / known_hosts form). */
export function authorizedKeyOf(key: Buffer | string): string {
  const blob = blobOf(key);
  return `${keyTypeOfBlob(blob)} ${blob.toString('base64')}`;
}
