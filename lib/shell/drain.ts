import type { Readable, Writable } from 'node:stream';
import { isGone } from '../ssh/channel-gone.js';

/** How waiting for a session's output ended: it was sent on, or nobody will read it. */
export type OutputWait = 'drained' | 'gone';

/**
 * How often a wait looks again whether its channel is gone: a channel its
 * client closed while keeping the connection is ended by ssh2 with no event
 * a waiter hears (its 'close' comes only once its input was read, and a
 * one-shot command's input may never be).
 */
const RECHECK_MS = 1000;

/** Waits for `out`'s 'drain', or for `out` or `client` to close, fail or be found gone. */
function drainOrGone(out: Writable, client: Readable): Promise<OutputWait> {
  return new Promise((resolve) => {
    const recheck = setInterval(() => { if (isGone(out) || isGone(client)) settle('gone'); }, RECHECK_MS);
    const settle = (how: OutputWait): void => {
      clearInterval(recheck);
      out.off('drain', drained);
      out.off('close', gone);
      out.off('error', gone);
      client.off('close', gone);
      client.off('error', gone);
      resolve(how);
    };
    const drained = (): void => settle('drained');
    const gone = (): void => settle('gone');
    out.once('drain', drained);
    out.once('close', gone);
    out.once('error', gone);
    client.once('close', gone);
    client.once('error', gone);
  });
}

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
      if ((await drainOrGone(out, client)) === 'gone') return 'gone';
    }
  }
  return 'drained';
}
