/**
 * Stream plumbing with backpressure: data moves only as fast as the slower
 * side; nothing is buffered beyond the streams' own high-water marks.
 */
import type { Readable, Writable } from 'node:stream';

/** A second consumer that can ask the pump to wait (a recording file that lags). */
export interface Hold {
  readonly backlogged: boolean;
  /** Calls back once the consumer caught up. */
  onceReady(cb: () => void): void;
}

/**
 * Moves chunks from `src` to `dst` without ending `dst` (the caller decides
 * how each side ends). Pauses `src` while `dst` reports a full buffer, or
 * `hold` is backlogged; resumes when neither is.
 * `onChunk` sees every chunk (counters, recording) and must not block.
 */
export function pump(src: Readable, dst: Writable, onChunk?: (chunk: Buffer) => void, hold?: Hold): void {
  // Hot path: one closure per pump, no allocation per chunk.
  let waitingDst = false;
  let waitingHold = false;
  const resume = (): void => { if (!waitingDst && !waitingHold) src.resume(); };
  const onDrain = (): void => { waitingDst = false; resume(); };
  const onReady = (): void => { waitingHold = false; resume(); };
  src.on('data', (chunk: Buffer) => {
    // Forwarded first: counters and the recording never stand between a keystroke and its echo.
    const full = !dst.write(chunk);
    onChunk?.(chunk);
    if (full && !waitingDst) {
      waitingDst = true;
      src.pause();
      dst.once('drain', onDrain);
    }
    if (hold?.backlogged && !waitingHold) {
      waitingHold = true;
      src.pause();
      hold.onceReady(onReady);
    }
  });
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
