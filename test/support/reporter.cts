/**
 * Mocha's spec reporter plus one plain closing line, `N passed, N failed, N skipped`,
 * that CI systems read whatever the test runner.
 */
import Mocha = require('mocha');

/** What is still open after the last test, by kind (stdio left out), as one line. */
function leftOpen(): string {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  // The process's own stdout and stderr.
  for (const stdio of ['TTYWrap', 'PipeWrap']) {
    const n = counts.get(stdio) ?? 0;
    if (n <= 2) counts.delete(stdio);
    else counts.set(stdio, n - 2);
  }
  if (counts.size === 0) return 'left open after the last test: nothing';
  return `left open after the last test (the run exits anyway): ${[...counts].map(([k, n]) => `${k} ×${String(n)}`).join(', ')}`;
}

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = this.stats;
      process.stdout.write(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
      // `exit: true` ends the run whatever a test left open; under CI, say what that was, so a leak still shows.
      if (process.env.CI === 'true') process.stdout.write(`${leftOpen()}\n`);
    });
  }
}

export = SpecWithSummary;
