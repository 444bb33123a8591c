/**
 * A notice line for a channel that may be finishing. Writing to a Writable
 * that already ended emits ERR_STREAM_WRITE_AFTER_END as an 'error' event, on
 * the next tick: nothing listens for errors on an SSH channel's stderr, so it
 * was an uncaught exception that ended the portal (a viewer leaving just after
 * the owner's command ended its stderr, a shutdown notice at that moment).
 */
import type { Writable } from 'node:stream';

/** Writes `text` to `w` unless it ended or was destroyed; never throws. Whether it wrote. */
export function writeIfOpen(w: Writable, text: string): boolean {
  if (w.writableEnded || w.destroyed) return false;
  try {
    w.write(text);
    return true;
  } catch {
    // The channel is closing.
    return false;
  }
}
