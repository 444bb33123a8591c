/**
 * Frees what ssh2 keeps of a key exchange once it is over (issue 13: memory
 * per relayed session; every session holds two ssh2 connections for hours).
 *
 * - Small buffers ssh2 keeps for the connection's life (its identification
 *   strings, the AES-GCM tag buffer) are slices of Node's shared 8 KiB
 *   allocation pool: each one pins a whole slab. Measured: about one slab
 *   (8.9 KiB of external memory) per relayed session. They are replaced by
 *   exact-size copies.
 * - The exchange keeps its X25519 key pair (`_keys`), and a server-side
 *   exchange keeps the closure that finished it (`finish`), whose scope holds
 *   the shared secret, the exchange hash and the derived session keys: freed
 *   (less memory, and no stale key material left in the heap).
 *
 * - An ssh2 Client given `algorithms` builds its own algorithm offer (a dozen
 *   lists and pooled buffers); ssh2 only reads it (to send KEXINIT again at a
 *   rekey): connections offering the same bytes share the first such offer.
 *
 * ssh2 reads neither once the exchange finished: a rekey builds a new
 * exchange from the identification strings (kept, copied) and the session id.
 * Run after each handshake (the first and every rekey), once ssh2 returned.
 */
import type { Client, Connection } from 'ssh2';

interface KeyExchangeLike { _finished?: boolean; _keys?: unknown; finish?: unknown }
interface OfferLike { lists?: { all?: unknown } }
interface ProtocolLike {
  _offer?: OfferLike;
  _kex?: KeyExchangeLike;
  _identRaw?: unknown;
  _remoteIdentRaw?: unknown;
  _cipher?: object;
  _decipher?: object;
}

/** A Buffer that shares its memory with others (a pool slice): worth copying out. */
function isSlice(v: unknown): v is Buffer {
  return Buffer.isBuffer(v) && v.byteLength < v.buffer.byteLength;
}

/** An exact-size copy of `b`, outside the shared pool. */
function unpooled(b: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.length);
  b.copy(copy);
  return copy;
}

/** Replaces every pool-slice Buffer among `obj`'s own properties by its own copy; returns how many. */
function unpoolProperties(obj: object | undefined, names?: readonly string[]): number {
  if (!obj) return 0;
  const o = obj as Record<string, unknown>;
  let n = 0;
  for (const k of names ?? Object.keys(o)) {
    // A packet being read lives until its end only.
    if (k === '_packet') continue;
    const v = o[k];
    if (isSlice(v)) {
      o[k] = unpooled(v);
      n++;
    }
  }
  return n;
}

/** Offers shared by connections, by their wire bytes; a process has a handful (one per configuration). */
const offers = new Map<string, OfferLike>();
const maxSharedOffers = 32;

/** The shared offer equal to `offer` (itself if it is the first such, or past the bound). */
function sharedOffer(offer: OfferLike): OfferLike {
  const all = offer.lists?.all;
  if (!Buffer.isBuffer(all)) return offer;
  const key = all.toString('latin1');
  const known = offers.get(key);
  if (known) return known;
  if (offers.size < maxSharedOffers) offers.set(key, offer);
  return offer;
}

/** What one trim released, for tests. */
export interface TrimReport { unpooled: number; keys: boolean; finish: boolean; sharedOffer: boolean }

/** Trims the finished key exchange of `conn` now (see the module comment). */
export function trimHandshake(conn: Connection | Client): TrimReport {
  const report: TrimReport = { unpooled: 0, keys: false, finish: false, sharedOffer: false };
  const p = (conn as unknown as { _protocol?: ProtocolLike })._protocol;
  if (!p) return report;
  const kex = p._kex;
  if (kex?._finished === true) {
    if (kex._keys) { kex._keys = null; report.keys = true; }
    // An own `finish` is the server's completion closure; the prototype's returns at once once finished.
    if (Object.hasOwn(kex, 'finish')) { delete kex.finish; report.finish = true; }
  }
  if (p._offer) {
    const shared = sharedOffer(p._offer);
    report.sharedOffer = shared !== p._offer;
    p._offer = shared;
  }
  report.unpooled = unpoolProperties(p, ['_identRaw', '_remoteIdentRaw']) + unpoolProperties(p._cipher) + unpoolProperties(p._decipher);
  return report;
}

/** Trims `conn` after its first handshake and after every rekey (ssh2 emits `handshake` for each). */
export function trimHandshakes(conn: Connection | Client): void {
  conn.on('handshake', () => void setImmediate(trimHandshake, conn));
}
