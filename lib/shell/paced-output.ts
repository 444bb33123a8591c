import { setImmediate } from 'node:timers/promises';
import { orAfter } from '../or-after.js';
import type { ShellContext } from './context.js';
import type { OutputWait } from './drain.js';

/** How a paced output ended: written whole, or stopped for a client that left, or that took too little for too long. */
export type PacedEnd = OutputWait | 'stalled';

/** Characters of output gathered into one write. */
const WRITE_CHARS = 64 * 1024;

/**
 * The least progress a paced output asks of its client: at least `chars`
 * characters taken within every `ms`, counted from the last time it did.
 */
export interface Progress {
  ms: number;
  chars: number;
}

/**
 * Writes `pieces` to the session's output in writes of about 64 KiB, each
 * once the client took the one before, with the event loop let run between
 * them: a large output (a backup of 10,000 hosts is 27 MB) is neither built
 * whole in memory nor written while every other connection of the portal
 * waits. Stops at 'gone' (the client's channel closed); the pieces left are
 * never produced. Pieces that come asynchronously (a backup's history, read
 * a page at a time) are asked for only as the client takes the text.
 * With `least`, stops at 'stalled' when the client took less than that
 * (nothing, or a write now and then): what is left is never produced, and
 * whatever it held is freed.
 */
export async function writePaced(ctx: Pick<ShellContext, 'out' | 'outputTaken'>, pieces: Iterable<string> | AsyncIterable<string>, least?: Progress): Promise<PacedEnd> {
  let gathered: string[] = [];
  let size = 0;
  // Since when the client owes `least.chars`, and how much of it it took.
  let since = performance.now();
  let taken = 0;
  for await (const piece of pieces) {
    gathered.push(piece);
    size += piece.length;
    if (size < WRITE_CHARS) continue;
    ctx.out(gathered.join(''));
    gathered = [];
    const written = size;
    size = 0;
    const end = await (least === undefined ? ctx.outputTaken() : orAfter(ctx.outputTaken(), least.ms - (performance.now() - since), 'stalled' as const));
    if (end !== 'drained') return end;
    taken += written;
    if (least !== undefined && taken >= least.chars) {
      since = performance.now();
      taken = 0;
    }
    await setImmediate();
  }
  if (gathered.length > 0) ctx.out(gathered.join(''));
  return 'drained';
}
