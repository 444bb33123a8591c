/**
 * Table-driven shell tests: each case is one command line with what it must
 * print and return. A failing command must change nothing (the whole database,
 * audit trail included, is compared before and after) and print one clean
 * `error: …` line: no stack trace, SQL or file path.
 */
import { expect } from 'chai';
import type { RunResult, ShellFixture } from './harness.js';

/** One command and what it must do. */
export interface ShellCase {
  /** The command line (one-shot). */
  cmd: string;
  input?: string;
  user?: string;
  /** Expected exit status (default 0). */
  code?: number;
  /** Patterns stdout must match. */
  out?: RegExp | RegExp[];
  /** Pattern of the error line (for failing cases). */
  err?: RegExp;
  /** A non-zero status that is not an error line (`exit 3`, help shown for a bare group): checked by `check`. */
  raw?: boolean;
  /** More checks on the result. */
  check?: (r: RunResult, f: ShellFixture) => unknown;
}

/** Asserts stderr is exactly one user-facing error line. */
export function expectCleanError(stderr: string, pattern?: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l !== '' && !l.startsWith('(Did you mean'));
  expect(lines, stderr).to.have.length(1);
  expect(lines[0]).to.match(/^error: /);
  expect(stderr).not.to.match(/\n\s+at |SELECT|INSERT|UPDATE |DELETE |QueryFailed|SQLITE|ER_|\/work\/|\.ts:|node_modules|internal error/);
  if (pattern) expect(lines[0]).to.match(pattern);
}

/** The whole database as a backup, for "nothing changed" comparisons. */
export async function snapshot(f: ShellFixture): Promise<string> {
  const r = await f.run('config backup');
  expect(r.code, r.stderr).to.equal(0);
  return r.stdout.replace(/"date":"[^"]*"/, '');
}

/** Runs the cases in order on one fixture, one `it` each. */
export function runCases(fixture: () => ShellFixture, cases: readonly ShellCase[]): void {
  for (const c of cases) {
    const title = `${c.user ? `[${c.user}] ` : ''}${c.cmd}${c.code ? ` → ${c.code}` : ''}`;
    it(title, async () => {
      const f = fixture();
      const before = c.code ? await snapshot(f) : '';
      const r = await f.run(c.cmd, { input: c.input, user: c.user });
      expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(c.code ?? 0);
      for (const p of c.out === undefined ? [] : Array.isArray(c.out) ? c.out : [c.out]) expect(r.stdout).to.match(p);
      if (c.code && !c.raw) {
        expectCleanError(r.stderr, c.err);
        expect(await snapshot(f), 'a failing command changed the database').to.equal(before);
      } else if (!c.raw) {
        expect(r.stderr, r.stderr).to.equal('');
      }
      await c.check?.(r, f);
    });
  }
}
