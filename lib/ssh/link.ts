/**
 * Links two byte-stream channels (forwards, agent, X11, the node link) both ways with
 * backpressure and proper half-close: EOF from one side becomes EOF on the
 * other once everything before it was passed on; a close on either side
 * closes the other after a flush.
 */
import type { Channel } from 'ssh2';
import { Readable, type Writable } from 'node:stream';
import { discard, ended, flushed, pump, type StallSink } from './pump.js';

/** Byte counts of a finished link. */
export interface LinkResult {
  /** Bytes from `down` to `up` (client → target). */
  bytesUp: number;
  /** Bytes from `up` to `down` (target → client). */
  bytesDown: number;
}

/**
 * Closes `ch` and drops what it read ahead and still reads, its stderr's too
 * where that is a stream it reads ({@link discard}): for a channel whose
 * other side is gone, or that is cut. ssh2 emits a channel's 'close' only
 * once its readable side ended, which a paused channel full of unread data
 * never does.
 */
export function closeAndDrop(ch: Channel): void {
  ch.close();
  for (const r of [ch, ch.stderr]) if (r instanceof Readable) discard(r);
}

function closedPromise(ch: Channel): Promise<void> {
  return new Promise((resolve) => ch.once('close', () => resolve()));
}

/** Resolves when `w` is flushed or `closed` settles, whichever comes first. */
export function flushedOrClosed(w: Writable, closed: Promise<void>): Promise<void> {
  return Promise.race([flushed(w), closed]);
}

/**
 * Links `down` (the client's side) with `up` (the target's side). `onBytes`
 * is called for every chunk (direction, length); `stalls` hears when either
 * direction waits for a reader that does not read. Resolves when both closed.
 */
export function linkChannels(
  down: Channel,
  up: Channel,
  onBytes: (dir: 'up' | 'down', n: number) => void,
  stalls?: StallSink,
): Promise<LinkResult> {
  const result: LinkResult = { bytesUp: 0, bytesDown: 0 };
  const downClosed = closedPromise(down);
  const upClosed = closedPromise(up);
  const ignore = (): void => undefined;
  down.on('error', ignore);
  up.on('error', ignore);
  pump(down, up, (c) => { result.bytesUp += c.length; onBytes('up', c.length); }, undefined, stalls);
  pump(up, down, (c) => { result.bytesDown += c.length; onBytes('down', c.length); }, undefined, stalls);
  const halfClose = (from: Channel, to: Channel, toClosed: Promise<void>): Promise<void> =>
    ended(from).then(() => flushedOrClosed(to, toClosed)).then(() => to.eof());
  void Promise.all([halfClose(down, up, upClosed), halfClose(up, down, downClosed)]).then(() => {
    down.close();
    up.close();
  });
  // Once one side closed, what the other read ahead can go nowhere: dropped, so that the other can close.
  void downClosed.then(() => flushedOrClosed(up, upClosed)).then(() => closeAndDrop(up));
  void upClosed.then(() => flushedOrClosed(down, downClosed)).then(() => closeAndDrop(down));
  return Promise.all([downClosed, upClosed]).then(() => result);
}
