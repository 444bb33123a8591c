import type { Readable, Writable } from 'node:stream';
import { drainedOrGone, isGone, type OutputWait } from '../ssh/channel-gone.js';

export type { OutputWait } from '../ssh/channel-gone.js';

/**
 * Waits until none of a session's `outputs` holds more than its high-water
 * mark, so that the next command runs only once the client took the last one's
 * output. Resolves 'gone' instead when an output is gone (closed, ended,
 * destroyed), or must be waited for and the client's channel (`client`, its
 * input side) is: what is buffered will never be read. Never rejects.
 */
export async function outputDrained(outputs: readonly Writable[], client: Readable): Promise<OutputWait> {
  for (const out of outputs) {
    // An ended channel takes writes without complaint and never asks to drain: it is gone whether or not it is full.
    if (isGone(out)) return 'gone';
    while (out.writableNeedDrain) {
      if (isGone(out) || isGone(client)) return 'gone';
      if ((await drainedOrGone(out, client)) === 'gone') return 'gone';
    }
  }
  return 'drained';
}
