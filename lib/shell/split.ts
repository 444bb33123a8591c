import { InvalidArgumentError } from '../errors.js';

/** Characters a backslash escapes inside double quotes (POSIX sh). */
const dquoteEscapable = new Set(['"', '\\', '$', '`', '\n']);

type State = 'plain' | 'single' | 'double';

/**
 * Splits a command line into words as a POSIX shell would, without expansions:
 * blanks separate words; `'…'` is literal; `"…"` keeps blanks and honours
 * `\"`, `\\`, `\$`, `` \` ``; a backslash outside quotes escapes the next
 * character; `#` at the start of a word begins a comment. Pure.
 * Throws InvalidArgumentError on an unterminated quote or a trailing backslash.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let state: State = 'plain';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (state === 'single') {
      if (ch === "'") state = 'plain';
      else word += ch;
      continue;
    }
    if (state === 'double') {
      if (ch === '"') state = 'plain';
      else if (ch === '\\' && i + 1 < line.length && dquoteEscapable.has(line[i + 1])) word += line[++i];
      else word += ch;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (ch === '#' && !inWord) {
      break;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new InvalidArgumentError('syntax error: trailing backslash');
      word += line[++i];
      inWord = true;
    } else if (ch === "'" || ch === '"') {
      state = ch === "'" ? 'single' : 'double';
      inWord = true;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (state !== 'plain') throw new InvalidArgumentError(`syntax error: unterminated ${state === 'single' ? 'single' : 'double'} quote`);
  if (inWord) words.push(word);
  return words;
}
