/**
 * Stream plumbing with backpressure: data moves only as fast as the slower
 * side; nothing is buffered beyond the streams' own high-water marks.
 */
import type { Readable, Writable } from 'node:stream';

/**
 * What a pump lets its streams buffer. ssh2 gives every channel a 2 MiB
 * read-ahead and a 2 MiB write buffer, and grants its peer more window as
 * long as the read-ahead is not full, even while the pump has paused it: a
 * client forwarding to a destination that never reads, or never reading a
 * command's output, made the portal hold 7.5 MiB per channel (one enrolled
 * key may open 128 channels per connection). With these caps it holds ~3 MiB
 * (the window the peer still has, plus these). Not lower: ssh2 grants no
 * more window once a read-ahead is full, until it drops under the cap again,
 * and a 64 KiB cap cost uploads 8 % (6 interleaved pairs of 1 GiB). At these, uploads
 * through the portal against the same portal without caps: 315 against 322
 * MB/s in 14 interleaved pairs of 512 MiB (CPU per GiB 1.61 against 1.70),
 * 319 against 342 and 326 against 327 in two series of 1 GiB pairs; a 1 MiB
 * read-ahead was no faster (299 against 308) and held 4.7 MiB per channel.
 */
export const pumpReadAheadBytes = 512 * 1024;
export const pumpWriteBufferBytes = 256 * 1024;

interface Buffered { _readableState?: { highWaterMark: number }; _writableState?: { highWaterMark: number } }

/** Lowers a stream's read-ahead or write buffer to `cap` (never raises it; Node keeps both in the stream's internal state). */
function capBuffer(state: { highWaterMark: number } | undefined, cap: number): void {
  if (state && state.highWaterMark > cap) state.highWaterMark = cap;
}

/**
 * Gives a channel (or socket) that is joined by hand rather than through
 * {@link pump} the same caps, on whichever sides it has: a read-ahead of
 * {@link pumpReadAheadBytes} and a write buffer of {@link pumpWriteBufferBytes}.
 * For the node link's tunnelled streams and the live paths, whose far ends
 * are as slow or as deaf as any user's.
 */
export function capRelayBuffers(s: Readable | Writable): void {
  capBuffer((s as Buffered)._readableState, pumpReadAheadBytes);
  capBuffer((s as Buffered)._writableState, pumpWriteBufferBytes);
}

/** What a pump holds, and how much it moved. */
export interface Held {
  /** Bytes its source read ahead and its destination queued. */
  readonly heldBytes: number;
  /** Bytes it moved so far. */
  readonly movedBytes: number;
  /** Whether it waits for its destination to drain now. */
  readonly waiting: boolean;
}

/**
 * Told when a pump starts waiting for its destination to drain
 * (lib/proxy/stall-budget.ts then watches what it holds and moves).
 */
export interface StallSink {
  stalled(p: Held): void;
}

/**
 * What {@link discard} drops at most: what a closed channel can still have
 * coming (its read-ahead, the window its peer was granted, a packet in
 * flight) with room to spare. A peer that sends more after our close, and
 * never answers it, is then read no further: ssh2 grants a channel more
 * window as it is read, so dropping without end would let it stream forever.
 */
export const discardMaxBytes = 4 * 1024 * 1024;

/**
 * Stops relaying what `r` reads and drops it, what it read ahead included:
 * for a channel that is being cut, or whose other side closed. ssh2 emits a
 * channel's 'close' only once its readable side ended, which a paused channel
 * full of unread data never does. Past `maxBytes` dropped, `r` is paused for
 * good (its peer then holds at most the window it has left).
 */
export function discard(r: Readable, maxBytes = discardMaxBytes): void {
  r.removeAllListeners('data');
  let dropped = 0;
  r.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > maxBytes) r.pause();
  });
  r.resume();
}

/** A second consumer that can ask the pump to wait (a recording file that lags). */
export interface Hold {
  readonly backlogged: boolean;
  /** Calls back once the consumer caught up. */
  onceReady(cb: () => void): void;
}

/**
 * One pump's state. Methods on the prototype and one bound listener: a relayed
 * session has three pumps for hours, and closures per pump cost memory per
 * session (issue 13); the wake-up listeners exist only while waiting.
 */
class Pump implements Held {
  readonly #src: Readable;
  readonly #dst: Writable;
  readonly #onChunk: ((chunk: Buffer) => void) | undefined;
  readonly #hold: Hold | undefined;
  readonly #stalls: StallSink | undefined;
  #waitingDst = false;
  #waitingHold = false;
  #moved = 0;

  constructor(src: Readable, dst: Writable, onChunk: ((chunk: Buffer) => void) | undefined, hold: Hold | undefined, stalls: StallSink | undefined) {
    this.#src = src;
    this.#dst = dst;
    this.#onChunk = onChunk;
    this.#hold = hold;
    this.#stalls = stalls;
    capBuffer((src as Buffered)._readableState, pumpReadAheadBytes);
    capBuffer((dst as Buffered)._writableState, pumpWriteBufferBytes);
    // Hot path: no allocation per chunk.
    src.on('data', this.#onData.bind(this));
  }

  #onData(chunk: Buffer): void {
    // A destination that ended or went (its channel closed) takes nothing more: a write after its end would be
    // an 'error' event on the next tick, uncaught where nobody listens (a client's stderr closed in the same
    // segment as a window adjust resumed this pump). The source is left paused.
    if (this.#dst.writableEnded || this.#dst.destroyed) {
      this.#src.pause();
      return;
    }
    // Forwarded first: counters and the recording never stand between a keystroke and its echo.
    const full = !this.#dst.write(chunk);
    this.#moved += chunk.length;
    this.#onChunk?.(chunk);
    if (full && !this.#waitingDst) {
      this.#waitingDst = true;
      this.#src.pause();
      // (A destination that ended never drains, and is not a reader that stopped: it took nothing, above.)
      this.#stalls?.stalled(this);
      this.#dst.once('drain', () => { this.#waitingDst = false; this.#resume(); });
    }
    if (this.#hold?.backlogged && !this.#waitingHold) {
      this.#waitingHold = true;
      this.#src.pause();
      this.#hold.onceReady(() => { this.#waitingHold = false; this.#resume(); });
    }
  }

  #resume(): void {
    if (!this.#waitingDst && !this.#waitingHold) this.#src.resume();
  }

  get heldBytes(): number { return this.#src.readableLength + this.#dst.writableLength; }
  get movedBytes(): number { return this.#moved; }
  get waiting(): boolean { return this.#waitingDst; }
}

/**
 * Moves chunks from `src` to `dst` without ending `dst` (the caller decides
 * how each side ends). Pauses `src` while `dst` reports a full buffer, or
 * `hold` is backlogged; resumes when neither is.
 * `onChunk` sees every chunk (counters, recording) and must not block.
 * `stalls` hears when the pump starts waiting for `dst` (not for `hold`: a
 * recording that lags is the portal's own disk, not a reader that stopped).
 */
export function pump(src: Readable, dst: Writable, onChunk?: (chunk: Buffer) => void, hold?: Hold, stalls?: StallSink): void {
  new Pump(src, dst, onChunk, hold, stalls);
}

/**
 * Resolves once everything written to `w` before this call was handed on
 * (a zero-length write is processed after every queued chunk). Unlike
 * waiting for 'drain', this always settles while the stream is writable.
 */
export function flushed(w: Writable): Promise<void> {
  if (!w.writable) return Promise.resolve();
  return new Promise((resolve) => {
    w.write(Buffer.alloc(0), () => resolve());
  });
}

/** Resolves when `r` has emitted (or already emitted) 'end' or 'close'. */
export function ended(r: Readable): Promise<void> {
  if (r.readableEnded || r.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    r.once('end', () => resolve());
    r.once('close', () => resolve());
  });
}

/** Callbacks waiting for a stream's end or close (see {@link whenEnded}). */
const endWatchers = new WeakMap<Readable, (() => void)[]>();

/** The one listener of every watched stream ('end' and 'close'; ssh2 and Node call it with `this` = the stream). */
function onEndOrClose(this: Readable): void {
  const cbs = endWatchers.get(this);
  if (!cbs) return;
  endWatchers.delete(this);
  for (const cb of cbs) queueMicrotask(cb);
}

/**
 * Calls `cb` once (in a microtask, as a settled {@link ended} would) when `r`
 * has emitted (or already emitted) 'end' or 'close'. Two listeners shared by
 * every stream and an array per watched stream, where {@link ended} costs a
 * promise and two `once` wrappers: for streams that live as long as a relayed
 * session (issue 13).
 */
export function whenEnded(r: Readable, cb: () => void): void {
  if (r.readableEnded || r.destroyed) { queueMicrotask(cb); return; }
  const cbs = endWatchers.get(r);
  if (cbs) { cbs.push(cb); return; }
  endWatchers.set(r, [cb]);
  r.on('end', onEndOrClose);
  r.on('close', onEndOrClose);
}
