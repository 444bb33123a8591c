/**
 * Makes the two streams of a channel the portal opened (to a target, a hop, a
 * node) share their SSH window honestly. A channel's stdout and stderr draw
 * on one window, but ssh2 grants the peer more of it whenever the stream that
 * just received data has room, whatever the other holds: a target that sent
 * 1 MiB to stderr for each byte to stdout, to a user who never read, grew the
 * portal without bound (100 MiB held in a paused stderr in a helper's
 * reproduction, ssh2 1.17). With this, a stream that received data reports
 * itself full while the other is full too, and a stream asking for more grants
 * nothing while the other is full: the window is granted again once both have
 * room (the full one's consumer reads, and its read grants it). The same
 * wrapper drops data a peer sends after its EOF (server channels too): Node
 * turns a push after EOF into an 'error' event, uncaught on a stream nobody
 * listens to, which ended the process.
 */
import type { Readable } from 'node:stream';
import { channelModule, stderrPrototype } from './transport-backpressure.js';

type PushFn = (this: unknown, chunk: unknown, encoding?: BufferEncoding) => boolean;
type ReadFn = (this: unknown, size: number) => void;

/** A client channel as this module reads it (server channels have a Writable stderr and are left alone). */
interface ClientSide { server?: boolean; stderr?: unknown }

let applied = false;

/** Whether `r` holds as much as its high-water mark (a Readable; anything else never counts as full). */
function full(r: unknown): boolean {
  const s = r as Partial<Readable> | undefined;
  return typeof s?.readableLength === 'number' && typeof s.readableHighWaterMark === 'number' && s.readableLength >= s.readableHighWaterMark;
}

/** Whether `r` was ended for reading (push(null) done: the peer sent EOF or the channel closed). */
function endedReading(r: unknown): boolean {
  return (r as { _readableState?: { ended?: boolean } } | null)?._readableState?.ended === true;
}

/** The other stream of a client channel's stream `self` (its stderr, or the channel of a stderr), or undefined. */
function otherOfChannel(self: unknown): unknown {
  const ch = self as ClientSide;
  return ch.server === false ? ch.stderr : undefined;
}

function otherOfStderr(self: unknown): unknown {
  return (self as { _channel?: unknown })._channel;
}

/** Wraps `push` and `_read` of `proto` so that they defer to the stream `other(this)`. */
function shareWindow(proto: { push?: unknown; _read?: unknown }, other: (self: unknown) => unknown): void {
  const push = proto.push as PushFn;
  const read = proto._read as ReadFn;
  proto.push = function (this: unknown, chunk: unknown, encoding?: BufferEncoding): boolean {
    // Data after the peer's EOF: ssh2 pushes it into the ended stream, and Node answers with an
    // ERR_STREAM_PUSH_AFTER_EOF 'error' on the next tick, uncaught where nobody listens (a target
    // channel's stderr): one packet from a hostile peer ended the portal. It is dropped.
    if (chunk !== null && endedReading(this)) return false;
    const room = push.call(this, chunk, encoding);
    return room && !full(other(this));
  };
  proto._read = function (this: unknown, size: number): void {
    if (full(other(this))) return;
    read.call(this, size);
  };
}

/** Installs the sharing on ssh2's client channels and their stderr (once per process); false if this ssh2 has no such classes. */
export function applySharedWindow(): boolean {
  if (applied) return true;
  const mod = channelModule();
  const channel = mod.Channel?.prototype as { push?: unknown; _read?: unknown } | undefined;
  const stderr = stderrPrototype(mod, false) as { push?: unknown; _read?: unknown } | undefined;
  if (!channel || typeof channel.push !== 'function' || typeof channel._read !== 'function' || !stderr || typeof stderr.push !== 'function' || typeof stderr._read !== 'function') return false;
  shareWindow(channel, otherOfChannel);
  shareWindow(stderr, otherOfStderr);
  applied = true;
  return true;
}
