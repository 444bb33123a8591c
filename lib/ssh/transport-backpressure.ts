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
 * at an exhausted window. The same for a server channel's stderr (its own
 * Writable in ssh2): a user who granted a 4 GiB window and stopped reading,
 * running a command that floods stderr, grew the portal by 2.3 GB in 10 s.
 */
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';

/** Unsent bytes of a connection's transport past which its channels' writes wait. */
export const transportHighWaterBytes = 1024 * 1024;

type WriteCb = (err?: Error | null) => void;
type WriteFn = (this: unknown, data: Buffer, encoding: BufferEncoding, cb: WriteCb) => void;
interface Transported { _client?: { _sock?: Writable } }
/** A channel (its transport is `_client._sock`) or a server channel's stderr (through `_channel`). */
interface ChannelLike extends Transported { _channel?: Transported }

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

/** `_write` of `proto`, completing only once the transport under the stream is under the bound. */
function holdAtTransport(proto: { _write?: unknown }): void {
  const original = proto._write as WriteFn;
  proto._write = function (this: ChannelLike, data: Buffer, encoding: BufferEncoding, cb: WriteCb): void {
    original.call(this, data, encoding, (err) => {
      const sock = (this._channel ?? this)._client?._sock;
      // Past the bound, a write to the transport already returned false: 'drain' will come (or 'close').
      if (err || !sock || sock.destroyed || sock.writableLength <= transportHighWaterBytes) return cb(err);
      whenDrained(sock, () => cb());
    });
  };
}

export interface ChannelModule {
  Channel?: { prototype: { _write?: unknown }; new (client: unknown, info: unknown, opts: unknown): { stderr?: object } };
}

/**
 * The prototype of a channel's stderr (a server channel's is a Writable, a
 * client channel's a Readable): ssh2 does not export their classes, so it is
 * read off a channel made for the purpose.
 */
export function stderrPrototype(mod: ChannelModule, server: boolean): Record<string, unknown> | undefined {
  if (!mod.Channel) return undefined;
  const probe = new mod.Channel({}, { type: 'session', incoming: {}, outgoing: {} }, { server });
  return probe.stderr ? (Object.getPrototypeOf(probe.stderr) as Record<string, unknown>) : undefined;
}

/** ssh2's channel module (not part of its public API). */
export function channelModule(): ChannelModule {
  return createRequire(import.meta.url)('ssh2/lib/Channel.js') as ChannelModule;
}

/** The `_write`s ssh2 sends channel data with: a channel's (stdout) and a server channel's stderr's; undefined if this ssh2 has no such classes. */
export function writePrototypes(): { channel: { _write?: unknown }; stderr: { _write?: unknown } } | undefined {
  const mod = channelModule();
  const channel = mod.Channel?.prototype;
  const stderr = stderrPrototype(mod, true);
  if (!channel || typeof channel._write !== 'function' || typeof stderr?._write !== 'function') return undefined;
  return { channel, stderr };
}

/** Installs the check on ssh2's Channel and server stderr (once per process); false if this ssh2 has no such classes. */
export function applyTransportBackpressure(): boolean {
  if (applied) return true;
  const protos = writePrototypes();
  if (!protos) return false;
  const { channel, stderr } = protos;
  holdAtTransport(channel);
  holdAtTransport(stderr);
  applied = true;
  return true;
}
