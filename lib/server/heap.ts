/**
 * Garbage-collector tuning of the server process, applied once at start.
 *
 * ssh2 allocates two 32 KiB buffers per relayed packet. Once the process has
 * been idle for a while, V8 sizes the old generation tightly around the live
 * heap, and a transfer then runs a full mark-compact every few dozen
 * milliseconds: measured here, a 1 GiB upload right after 40 s of idleness
 * cost the portal 5.5–6.6 CPU seconds instead of 2.3–2.5 (issue 13: the CPU
 * figure that "swings between runs"). Letting the old generation grow to 3×
 * its live size after each full GC (V8's own factor goes down to 1.1×) brings
 * the idle-then-busy case back to 2.25 s/GiB; RSS per idle session is
 * unchanged (it is measured after a GC).
 */
import { setFlagsFromString } from 'node:v8';

/** Old generation may grow by this percentage of the live heap before the next full GC. */
export const HEAP_GROWING_PERCENT = 200;

/** Applies the server's GC tuning to this process (V8 reads the flag at every full GC). */
export function tuneHeap(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
