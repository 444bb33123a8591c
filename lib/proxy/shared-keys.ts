/**
 * One parsed client key per distinct private key, shared by every upstream
 * connection using it while any does (issue 13: memory per relayed session).
 * Given the key text, each ssh2 Client parsed its own copy and kept it, with
 * the text, for the connection's life: about 1 KiB per session and a pinned
 * 8 KiB buffer-pool slab. The cache holds the parsed keys weakly, by a hash of
 * text and passphrase (not the secret itself): a key no connection uses is
 * collected as before.
 */
import { createHash } from 'node:crypto';
import type { ParsedKey } from 'ssh2';
import ssh2 from 'ssh2';
import { withKeyObjects } from '../ssh/key-objects.js';

const cache = new Map<string, WeakRef<ParsedKey>>();
const collected = new FinalizationRegistry<string>((id) => {
  if (cache.get(id)?.deref() === undefined) cache.delete(id);
});

/** The parsed private key of `text`, shared; throws ssh2's parse error (message as ssh2's connect() gives it). */
export function sharedPrivateKey(text: string, passphrase?: string): ParsedKey {
  const id = createHash('sha256').update(passphrase ?? '').update('\0').update(text).digest('base64');
  const hit = cache.get(id)?.deref();
  if (hit) return hit;
  const parsed = ssh2.utils.parseKey(text, passphrase);
  if (parsed instanceof Error) throw new Error(`Cannot parse privateKey: ${parsed.message}`);
  // ssh2 keeps only the first key of a file (OpenSSH's format stores one).
  const key = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
  if (!key.isPrivateKey()) throw new Error('privateKey value does not contain a (valid) private key');
  // Signing with a key object: ssh2 would re-read the PEM text on every login's signature.
  withKeyObjects(key);
  cache.set(id, new WeakRef(key));
  collected.register(key, id);
  return key;
}

/** Parsed keys currently shared (tests). */
export function sharedKeyCount(): number {
  return cache.size;
}
