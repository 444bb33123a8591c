/**
 * Reused buffers for the large packets ssh2 sends (issue 13, CPU per byte).
 *
 * ssh2's AEAD ciphers (aes-gcm, chacha20-poly1305 through its native binding)
 * allocate each outgoing packet with `Buffer.allocUnsafe`: for a 32 KiB data
 * packet that is a malloc, an ArrayBuffer with its backing store, and later
 * a free and a sweep: ~5–6 % of the portal's CPU relaying a bulk upload.
 * Here packets of {@link pooledPacketMinBytes} and more take a slot from a
 * small free list instead, and a slot goes back to the list only when its
 * packet is certainly no longer referenced: the socket write that sent it
 * finished synchronously (the kernel copied every byte; nothing is queued on
 * the socket, see {@link releaseWrittenPackets}). A packet whose write queued
 * is simply left to the garbage collector, as before, so a slot can never be
 * reused while any of its bytes wait to be sent. Such a queued packet holds a
 * whole slot, at most 1.4 × its length (the smallest pooled packet is 24 of
 * 33 KiB), under the same transport bounds (SECURITY.md).
 *
 * The packet layout is SSH's (RFC 4253 §6 with the length outside the
 * padding's alignment, as aes-gcm (RFC 5647) and chacha20-poly1305 use it),
 * checked against ssh2's own allocation by the unit test for every length.
 * Like the padding pool, the cipher prototypes are patched once, when this
 * module is first imported.
 */
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { paddingFill } from './padding-pool.js';

/** Packets of at least this many bytes (with tag) use a pooled slot; smaller ones come from Node's own pool or malloc. */
export const pooledPacketMinBytes = 24 * 1024;
/** Bytes of one slot: a full 32 KiB data payload, its header, padding and tag. */
export const packetSlotBytes = 33 * 1024;
/** Free slots kept at most; beyond it a returned slot is left to the collector. */
export const maxFreeSlots = 32;
/** The authentication tag both AEAD ciphers append. */
const tagBytes = 16;

/**
 * Fixed-size slots for packets. A slot is handed out by {@link take} and
 * comes back only through {@link give}; one given twice, or not ours, is
 * ignored (never listed twice, so never handed out twice).
 */
export class PacketSlots {
  readonly #free: ArrayBuffer[] = [];
  readonly #ours = new WeakSet<ArrayBuffer>();
  readonly #listed = new WeakSet<ArrayBuffer>();
  #made = 0;

  /** A Buffer of `n` bytes (contents undefined): a slot's first `n` bytes when `n` fits the pooled range. */
  take(n: number): Buffer {
    if (n < pooledPacketMinBytes || n > packetSlotBytes) return Buffer.allocUnsafe(n);
    let slot = this.#free.pop();
    if (slot) this.#listed.delete(slot);
    else {
      // Not zero-filled (as ssh2's allocUnsafe): every byte a packet sends is written first.
      slot = Buffer.allocUnsafeSlow(packetSlotBytes).buffer;
      this.#ours.add(slot);
      this.#made++;
    }
    return Buffer.from(slot, 0, n);
  }

  /** Returns the slot under `buf` (a Buffer {@link take} gave) for reuse. The caller vouches nothing references it. */
  give(buf: Buffer): void {
    const slot = buf.buffer;
    if (buf.byteOffset !== 0 || !(slot instanceof ArrayBuffer) || !this.#ours.has(slot) || this.#listed.has(slot)) return;
    if (this.#free.length >= maxFreeSlots) return;
    this.#listed.add(slot);
    this.#free.push(slot);
  }

  /** Free slots now, and slots made so far (tests, bench). */
  stats(): { free: number; made: number } {
    return { free: this.#free.length, made: this.#made };
  }
}

/** The process's slots, shared by every connection. */
export const packetSlots = new PacketSlots();

/**
 * An SSH packet of `payloadLen` payload bytes for an AEAD cipher of block
 * size `block`: the length field (not aligned), the padding length, the
 * payload (left for the caller), 4 to 4 + block − 1 random padding bytes so
 * that everything after the length is a multiple of `block`, and room for the
 * tag. What ssh2's `allocPacket` returns, from {@link packetSlots}.
 */
export function aeadPacket(payloadLen: number, block: number, slots: PacketSlots = packetSlots): Buffer {
  let padLen = block - ((1 + payloadLen) % block);
  if (padLen < 4) padLen += block;
  const afterLength = 1 + payloadLen + padLen;
  const packet = slots.take(4 + afterLength + tagBytes);
  packet.writeUInt32BE(afterLength, 0);
  packet[4] = padLen;
  paddingFill(packet, 5 + payloadLen, padLen);
  return packet;
}

type WriteFn = (this: Writable, chunk: unknown, ...rest: unknown[]) => boolean;

/** The one `write` of every socket releasing into `slots`: not a closure per connection (a connection lives for hours, issue 13). */
const releasingWrites = new WeakMap<PacketSlots, WriteFn>();

function releasingWrite(slots: PacketSlots): WriteFn {
  let fn = releasingWrites.get(slots);
  if (!fn) {
    fn = function (this: Writable, chunk: unknown, ...rest: unknown[]): boolean {
      const ok = (Object.getPrototypeOf(this) as { write: WriteFn }).write.call(this, chunk, ...rest);
      if (this.writableLength === 0 && Buffer.isBuffer(chunk)) slots.give(chunk);
      return ok;
    };
    releasingWrites.set(slots, fn);
  }
  return fn;
}

/**
 * Makes `socket` give a pooled packet back once its write finished at once:
 * after its class's `write` returns, nothing left to send (`writableLength`
 * 0) means the kernel took every byte and neither Node nor libuv keeps the
 * buffer. Only writes of slots change anything; every other write is untouched.
 */
export function releaseWrittenPackets(socket: Writable, slots: PacketSlots = packetSlots): void {
  Object.defineProperty(socket, 'write', { value: releasingWrite(slots), configurable: true, writable: true });
}

interface CipherPrototype { allocPacket(payloadLen: number): Buffer }
/** The slice of ssh2's cipher module used here (exported for tests). */
export interface CipherModule {
  bindingAvailable: boolean;
  CIPHER_INFO: Record<string, { keyLen: number; ivLen: number } | undefined>;
  createCipher(config: unknown): object;
}

const require = createRequire(import.meta.url);

interface Throwaway extends CipherPrototype { free?: () => void }

/** A throwaway cipher of ssh2's for `name` (all-zero key: only its class is wanted), or undefined. */
function throwawayCipher(m: CipherModule, name: string): Throwaway | undefined {
  const info = m.CIPHER_INFO[name];
  if (!info) return undefined;
  return m.createCipher({ outbound: { onWrite: () => undefined, cipherInfo: info, cipherKey: Buffer.alloc(info.keyLen),
    cipherIV: Buffer.alloc(info.ivLen), seqno: 0 } }) as Throwaway;
}

/** Payload lengths whose packets must come out of ssh2's class and of {@link aeadPacket} alike before the class is patched. */
const probeLengths = [0, 1, 3, 11, 12, 15, 16, 17, 100, 24_000, 32_768 + 9];

/**
 * Patches the class of ssh2's cipher for `name` to allocate with
 * {@link aeadPacket}, if its own allocation lays packets out the same way
 * (length, padding length, total with the tag) for every probe length:
 * anything else (a fallback class sending its tag apart) is left alone.
 * Exported for tests.
 */
export function patchCipherClass(m: CipherModule, name: string, block: number): boolean {
  const cipher = throwawayCipher(m, name);
  if (!cipher) return false;
  const proto = Object.getPrototypeOf(cipher) as CipherPrototype;
  const probeSlots = new PacketSlots();
  const same = probeLengths.every((n) => {
    const theirs = proto.allocPacket.call(cipher, n);
    const ours = aeadPacket(n, block, probeSlots);
    return theirs.length === ours.length && theirs.readUInt32BE(0) === ours.readUInt32BE(0) && theirs[4] === ours[4];
  });
  cipher.free?.();
  if (!same) return false;
  proto.allocPacket = (payloadLen: number): Buffer => aeadPacket(payloadLen, block);
  return true;
}

/** Patches ssh2's AEAD binding ciphers to allocate from {@link packetSlots}; false when ssh2 has no native binding here, or one was not patched. */
function install(): boolean {
  const m = require('ssh2/lib/protocol/crypto.js') as CipherModule;
  if (!m.bindingAvailable) return false;
  const gcm = patchCipherClass(m, 'aes128-gcm@openssh.com', 16);
  const chacha = patchCipherClass(m, 'chacha20-poly1305@openssh.com', 8);
  return gcm && chacha;
}

/** Whether ssh2's AEAD ciphers in this process take their large packets from the slots. */
export const packetPoolInstalled = install();
