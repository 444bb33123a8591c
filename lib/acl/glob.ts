/**
 * ssh_config-style patterns (see ssh_config(5), PATTERNS), used by ACL host
 * patterns and forwarding lists: `*` matches any run of characters, `?` one
 * character, every other character itself, case-insensitively. A pattern
 * list is comma-separated; an entry starting with `!` negates. Pure; no I/O.
 */

/**
 * Whether `name` matches the glob `pattern` (whole string, case-insensitive).
 * A scan with one backtracking point (the last `*`), not a regular
 * expression: `*.*.*.internal` as a RegExp backtracked cubically, and a
 * client's `-L` destination of 2,000 dots held the event loop 1.3 s (34 KB:
 * hours). This costs at most the product of both lengths, usually their sum.
 */
export function globMatch(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  let pi = 0;
  let ni = 0;
  // Where the last `*` was, and the first character of the name it was last tried to cover up to.
  let star = -1;
  let from = 0;
  while (ni < n.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === n[ni]))) {
      pi++;
      ni++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      from = ni;
    } else if (star >= 0) {
      // The last `*` takes one more character, and the rest of the pattern is tried after it.
      pi = star + 1;
      ni = ++from;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** One entry of a pattern list. */
export interface PatternEntry {
  negated: boolean;
  glob: string;
}

/** Splits a comma-separated pattern list into entries (empty entries dropped). */
export function parsePatternList(list: string): PatternEntry[] {
  return list.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) =>
    s.startsWith('!') ? { negated: true, glob: s.slice(1) } : { negated: false, glob: s });
}

/**
 * Whether `name` matches a pattern list, as OpenSSH's match_pattern_list: a
 * negated entry that matches rejects the name outright; otherwise the name
 * matches when a positive entry matches. A list of negations only never matches.
 */
export function matchPatternList(entries: readonly PatternEntry[], name: string, match: (glob: string, name: string) => boolean = globMatch): boolean {
  let positive = false;
  for (const e of entries) {
    if (!match(e.glob, name)) continue;
    if (e.negated) return false;
    positive = true;
  }
  return positive;
}

/** Whether a pattern list has at least one positive entry (a negation-only list can never match). */
export function hasPositiveEntry(entries: readonly PatternEntry[]): boolean {
  return entries.some((e) => !e.negated && e.glob !== '');
}
