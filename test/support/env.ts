/** Facts about the test environment, read once. */
const inCI = process.env.CI === 'true';

/**
 * Skips the current suite/test loudly when a required part is missing,
 * or fails it under CI=true, where nothing may be skipped silently.
 */
export function requireOrSkip(ctx: Mocha.Context, available: boolean, what: string): void {
  if (available) return;
  if (inCI) throw new Error(`${what} is required under CI=true but is not available`);
  console.warn(`\n  !!! SKIPPING: ${what} is not available on this machine !!!\n`);
  ctx.skip();
}
