/**
 * Makes every ssh2 channel feel its connection's transport. ssh2 stops a
 * channel's writes only at the peer's SSH window; the transport under it (a
 * TCP socket, or a channel of another connection: a hop, a tunnel connector)
 * is written without looking. A peer that grants a huge window (up to 4 GiB,
 * plus adjusts) and stops reading its socket made the portal queue
 * everything written to that channel: a target fed by a user's upload grew
 * the portal by 470 MB in 15 s. With this, a channel's write completes only
 * once its transport's unsent bytes are under {@link transportHighWaterBytes}:
 * the channel's own buffer then fills and the relay's pumps pause, as they do
 * at an exhausted window.
 */
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';

/** Unsent bytes of a connection's transport past which its channels' writes wait. */
export const transportHighWaterBytes = 1024 * 1024;

type WriteCb = (err?: Error | null) => void;
type WriteFn = (this: ChannelLike, data: Buffer, encoding: BufferEncoding, cb: WriteCb) => void;
interface ChannelLike { _client?: { _sock?: Writable } }

let applied = false;

/** Writes waiting for a transport to drain: one listener per transport, however many channels wait. */
const waiting = new WeakMap<Writable, (() => void)[]>();

/** Waits for `sock` to take more, or to close, then calls `cb`. */
function whenDrained(sock: Writable, cb: () => void): void {
  const list = waiting.get(sock);
  if (list) return void list.push(cb);
  const cbs = [cb];
  waiting.set(sock, cbs);
  const done = (): void => {
    sock.off('drain', done);
    sock.off('close', done);
    waiting.delete(sock);
    for (const f of cbs) f();
  };
  sock.on('drain', done);
  sock.on('close', done);
}

/** Installs the check on ssh2's Channel (once per process); false if this ssh2 has no such class. */
export function applyTransportBackpressure(): boolean {
  if (applied) return true;
  const mod = createRequire(import.meta.url)('ssh2/lib/Channel.js') as { Channel?: { prototype: { _write?: unknown } } };
  const proto = mod.Channel?.prototype;
  if (!proto || typeof proto._write !== 'function') return false;
  const original = proto._write as WriteFn;
  proto._write = function (this: ChannelLike, data: Buffer, encoding: BufferEncoding, cb: WriteCb): void {
    original.call(this, data, encoding, (err) => {
      const sock = this._client?._sock;
      // Past the bound, a write to the transport already returned false: 'drain' will come (or 'close').
      if (err || !sock || sock.destroyed || sock.writableLength <= transportHighWaterBytes) return cb(err);
      whenDrained(sock, () => cb());
    });
  };
  applied = true;
  return true;
}
