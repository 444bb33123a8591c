/**
 * glibc malloc tuning of the server process. Unlike the V8 flags of
 * heap.ts, glibc reads it only from the environment the process starts
 * with, so `npm start` and the Docker image set it, and the server says at
 * start when it runs without it.
 *
 * Every read from a socket lands in a fresh 64 KiB buffer that lives until
 * V8 collects it; between collections glibc's heap grows by a few MiB, and
 * by default glibc gives the top of its heap back to the kernel as soon as
 * 128 KiB of it are free. During a relayed upload that was ~20 trims a
 * second, each of 3–18 MiB (`strace`: ~750 `brk` calls in 8 s of a 2 GiB
 * upload; 2 with this tuning), and the heap then grew into fresh pages again.
 * On the PVM guests of issue 13 a page fault costs ~16 µs (a C loop
 * touching fresh pages; well under 1 µs on bare metal) and a system call
 * ~1 µs, and shrinking a heap that another thread uses flushes the other
 * vCPU's TLB. Keeping up to 64 MiB of free heap, and growing it 16 MiB at a
 * time: 1 GiB uploads through the portal in 3.4–3.9 s instead of 4.2–4.8 s
 * (seven interleaved pairs, `bench/profile.ts`; four of them kept 256 MiB
 * and grew by 64, which did no better), 2.0–2.3 portal CPU s per GiB instead
 * of 2.1–2.5; logins unchanged (3 pairs of 600). What it keeps is free heap
 * that a burst of transfers once used, 64 MiB at most.
 */

/** The environment that tunes glibc's malloc: names and values, as `npm start` and the Dockerfile set them. */
export const MALLOC_TUNING: Readonly<Record<string, string>> = Object.freeze({
  MALLOC_TRIM_THRESHOLD_: String(64 * 1024 * 1024),
  MALLOC_TOP_PAD_: String(16 * 1024 * 1024),
});

/** The GLIBC_TUNABLES name of each variable: an operator may set the same through it. */
const TUNABLE: Readonly<Record<string, string>> = { MALLOC_TRIM_THRESHOLD_: 'glibc.malloc.trim_threshold', MALLOC_TOP_PAD_: 'glibc.malloc.top_pad' };

/**
 * The tuning's variables that `env` lacks, as `NAME=value` (empty when the
 * process is tuned, or when its C library is not glibc: nothing to say then).
 * A variable set to another value, or its tunable set in GLIBC_TUNABLES,
 * counts as set: the operator chose it.
 */
export function mallocUntuned(env: Readonly<Record<string, string | undefined>>, glibc: boolean): string[] {
  if (!glibc) return [];
  const tunables = (env.GLIBC_TUNABLES ?? '').split(':').map((t) => t.split('=')[0]);
  return Object.entries(MALLOC_TUNING)
    .filter(([name]) => env[name] === undefined && !tunables.includes(TUNABLE[name]))
    .map(([name, value]) => `${name}=${value}`);
}

/** Whether this process runs on glibc (Node's diagnostic report names its runtime version then). */
export function onGlibc(): boolean {
  // Once, at start: the report takes ~9 ms.
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: unknown } }).header;
  return typeof header?.glibcVersionRuntime === 'string';
}
