/**
 * Whether a channel is gone for good, whoever asks and whenever. ssh2 ends a
 * channel its client closed, but closes a dead connection's channels without
 * ending them, and emits a channel's one 'close' without setting any state a
 * later reader could see (its streams do not emit close themselves): code
 * that starts waiting after that 'close' (for a 'drain' that never comes)
 * waited for good. The 'close' is remembered from when the channel is set up.
 */
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';

const closed = new WeakSet<EventEmitter>();
const watched = new WeakSet<EventEmitter>();

/** Starts remembering `stream`'s 'close'; once per stream. */
export function rememberClose(stream: EventEmitter): void {
  if (watched.has(stream)) return;
  watched.add(stream);
  stream.once('close', () => closed.add(stream));
}

/** Whether `stream` closed (as remembered), ended its writable side, or was destroyed. */
export function isGone(stream: Readable | Writable): boolean {
  return closed.has(stream) || stream.destroyed || ('writableEnded' in stream && stream.writableEnded) || ('closed' in stream && stream.closed);
}
