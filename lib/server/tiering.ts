/**
 * How soon V8 optimizes the server's code, applied once at start.
 *
 * Most of a login's JavaScript runs once per login (key check, ACLs, session
 * rows, events, the upstream dial). V8 optimizes a function once it has run
 * through its "interrupt budget" of bytecode three times (67,584 bytes in this
 * V8). With that default a fresh portal was still optimizing after 3,000
 * logins (`--trace-opt`: 10–20 functions per round of 100 logins in rounds
 * 20–30), its CPU per login falling from ~8 ms to a steady ~4.8 only then: a
 * bastion serving a few hundred logins a day would take weeks to get there.
 * With 4 KiB the same steady state comes within ~1,500 logins, for less CPU
 * in all (issue 13; measured with two portals, rounds alternated: rounds
 * 16–20 −0.4 to −0.7 ms per login, 30 rounds −4 to −6 % CPU). The price: the
 * first ~100 logins of a process cost more, and V8's compiled code (a few
 * MiB, once per process) grows while the first sessions open.
 */
import { setFlagsFromString } from 'node:v8';

/** Bytecode budget between V8's looks at a function for optimizing (its default: 67,584). */
export const INTERRUPT_BUDGET = 4 * 1024;

/** Applies the server's tiering to this process (V8 reads the flag whenever it resets a function's budget). */
export function tuneTiering(budget = INTERRUPT_BUDGET): void {
  setFlagsFromString(`--interrupt-budget=${budget}`);
}
