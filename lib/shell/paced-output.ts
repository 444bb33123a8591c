import { setImmediate } from 'node:timers/promises';
import type { ShellContext } from './context.js';
import type { OutputWait } from './drain.js';

/** Characters of output gathered into one write. */
const WRITE_CHARS = 64 * 1024;

/**
 * Writes `pieces` to the session's output in writes of about 64 KiB, each
 * once the client took the one before, with the event loop let run between
 * them: a large output (a backup of 10,000 hosts is 27 MB) is neither built
 * whole in memory nor written while every other connection of the portal
 * waits. Stops at 'gone' (the client's channel closed); the pieces left are
 * never produced.
 */
export async function writePaced(ctx: Pick<ShellContext, 'out' | 'outputTaken'>, pieces: Iterable<string>): Promise<OutputWait> {
  let gathered: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    gathered.push(piece);
    size += piece.length;
    if (size < WRITE_CHARS) continue;
    ctx.out(gathered.join(''));
    gathered = [];
    size = 0;
    if ((await ctx.outputTaken()) === 'gone') return 'gone';
    await setImmediate();
  }
  if (gathered.length > 0) ctx.out(gathered.join(''));
  return 'drained';
}
