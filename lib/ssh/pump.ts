/**
 * Stream plumbing with backpressure: data moves only as fast as the slower
 * side; nothing is buffered beyond the streams' own high-water marks.
 */
import type { Readable, Writable } from 'node:stream';

/**
 * Moves chunks from `src` to `dst` without ending `dst` (the caller decides
 * how each side ends). Pauses `src` while `dst` reports a full buffer.
 * `onChunk` sees every chunk (counters, recording) and must not block.
 */
export function pump(src: Readable, dst: Writable, onChunk?: (chunk: Buffer) => void): void {
  let waiting = false;
  const onDrain = (): void => {
    waiting = false;
    src.resume();
  };
  src.on('data', (chunk: Buffer) => {
    onChunk?.(chunk);
    if (!dst.write(chunk) && !waiting) {
      waiting = true;
      src.pause();
      dst.once('drain', onDrain);
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
