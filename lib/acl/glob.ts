/**
 * A small shell-style glob matcher for ACL host patterns: `*` matches any run
 * of characters, `?` one character, `[abc]`/`[a-z]`/`[!abc]` a class; every
 * other character matches itself. Pure; no I/O.
 */

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** Translates a glob into an anchored regular expression source. */
export function globToRegExpSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) { out += '\\['; continue; }
      let body = glob.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (c) => `\\${c}`)}]`;
      i = close;
    } else out += escapeRegExp(ch);
  }
  return `^${out}$`;
}

/** Whether `name` matches the glob `pattern` (whole string, case-sensitive). */
export function globMatch(pattern: string, name: string): boolean {
  return new RegExp(globToRegExpSource(pattern), 's').test(name);
}
