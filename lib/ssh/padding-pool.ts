/**
 * Cheaper random padding for every SSH packet ssh2 sends.
 *
 * ssh2 fills each outgoing packet's 4–19 padding bytes with its own
 * `crypto.randomFillSync` call. For so few bytes the call is all overhead (a
 * job object, argument checks, a trip into OpenSSL under its lock): profiled
 * through the portal, ~1 s of 5.9 CPU s for 2 GiB relayed (issue 13), paid
 * for every one of the 32,768 packets a GiB takes on the way out.
 *
 * Here small fills are served from a pool that itself comes from the same
 * CSPRNG, 64 KiB at a time, each byte handed out once: the padding is exactly
 * as random as before, at a copy's cost. ssh2 takes `randomFillSync` from
 * the `crypto` module when its cipher module is first loaded, so the pool is
 * swapped in only for that load: nothing else in the process sees it. This
 * module must therefore be imported before anything loads ssh2 (first import
 * of the entry points); imported later, it changes nothing and says so.
 */
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

/** Fills up to this many bytes come from the pool; larger ones go straight to the CSPRNG. */
export const pooledFillMaxBytes = 256;
/** Bytes drawn from the CSPRNG per refill. */
export const poolBytes = 64 * 1024;

type Fill = typeof crypto.randomFillSync;

/** A `randomFillSync` serving small fills of Buffers from a pool refilled by `source`. Exported for tests. */
export function pooledRandomFill(source: Fill): Fill {
  const pool = Buffer.allocUnsafe(poolBytes);
  let used = poolBytes;
  const fill = <T extends NodeJS.ArrayBufferView>(buf: T, offset = 0, size?: number): T => {
    const n = size ?? buf.byteLength - offset;
    if (!Buffer.isBuffer(buf) || n > pooledFillMaxBytes || n < 0 || offset < 0 || offset + n > buf.length) return source(buf, offset, size);
    if (used + n > poolBytes) {
      source(pool);
      used = 0;
    }
    pool.copy(buf, offset, used, used + n);
    used += n;
    return buf;
  };
  return fill;
}

/** The process's pooled fill (the one ssh2's cipher module took, when it was installed): for other packet code. */
export const paddingFill: Fill = pooledRandomFill(crypto.randomFillSync);

const require = createRequire(import.meta.url);
const cipherModule = require.resolve('ssh2/lib/protocol/crypto.js');

/** Loads ssh2's cipher module with the pooled fill; false if it was already loaded (nothing changed). */
function install(): boolean {
  if (require.cache[cipherModule]) return false;
  const original = crypto.randomFillSync;
  crypto.randomFillSync = paddingFill;
  try {
    require(cipherModule);
  } finally {
    crypto.randomFillSync = original;
  }
  return true;
}

/** Whether ssh2's packets in this process take their padding from the pool. */
export const paddingPoolInstalled = install();
