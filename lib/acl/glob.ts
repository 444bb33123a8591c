/**
 * ssh_config-style patterns (see ssh_config(5), PATTERNS), used by ACL host
 * patterns and forwarding lists: `*` matches any run of characters, `?` one
 * character, every other character itself, case-insensitively. A pattern
 * list is comma-separated; an entry starting with `!` negates. Pure; no I/O.
 */

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** Translates one glob into an anchored regular expression source. */
function globToRegExpSource(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += escapeRegExp(ch);
  }
  return `^${out}$`;
}

/** Whether `name` matches the glob `pattern` (whole string, case-insensitive). */
export function globMatch(pattern: string, name: string): boolean {
  return new RegExp(globToRegExpSource(pattern), 'is').test(name);
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
