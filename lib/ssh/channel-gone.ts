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

/** How a wait for a channel ended: it drained, or nobody will read it. */
export type OutputWait = 'drained' | 'gone';

/**
 * How often a wait looks again whether its channel is gone: a channel its
 * client closed while keeping the connection is ended by ssh2 with no event
 * a waiter hears (its 'close' comes only once its input was read, and a
 * one-shot command's input may never be).
 */
const RECHECK_MS = 1000;

/**
 * Waits for `out`'s 'drain', or for `out` (or `client`, the channel's input
 * side when `out` is a stream in front of it) to end, close, fail or be found
 * gone. Never rejects.
 */
export function drainedOrGone(out: Writable, client?: Readable): Promise<OutputWait> {
  return new Promise((resolve) => {
    const recheck = setInterval(() => { if (isGone(out) || (client !== undefined && isGone(client))) settle('gone'); }, RECHECK_MS);
    const settle = (how: OutputWait): void => {
      clearInterval(recheck);
      out.off('drain', drained);
      for (const event of ['close', 'finish', 'error']) out.off(event, gone);
      client?.off('close', gone);
      client?.off('error', gone);
      resolve(how);
    };
    const drained = (): void => settle('drained');
    const gone = (): void => settle('gone');
    out.once('drain', drained);
    for (const event of ['close', 'finish', 'error']) out.once(event, gone);
    client?.once('close', gone);
    client?.once('error', gone);
  });
}
