/** Polls `check` every 50 ms until it returns true; fails after `ms` naming `what`. */
export async function waitFor(check: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Something that emits 'close' once (a socket, an ssh2 client); `destroyed` when it may already have closed. */
interface Closable { once(event: 'close', listener: () => void): unknown; readonly destroyed?: boolean }

/** Milliseconds until `c` closes (0 if it already had), or null if it is still open after `withinMs`. */
export function closedWithin(c: Closable, withinMs: number): Promise<number | null> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    if (c.destroyed === true) { resolve(0); return; }
    const timer = setTimeout(() => resolve(null), withinMs);
    c.once('close', () => { clearTimeout(timer); resolve(performance.now() - t0); });
  });
}
