import type { Key } from './keys.js';

/** What one key did to the line, for the terminal to show. */
export type EditResult =
  | { kind: 'none' }
  /** `text` was added at the end of the line, the cursor is at the end. */
  | { kind: 'append'; text: string }
  /** Anything else changed: the line or the cursor. */
  | { kind: 'redraw' }
  | { kind: 'line'; line: string }
  | { kind: 'interrupt' }
  | { kind: 'eof' }
  | { kind: 'clear' }
  /** Completion candidates to list under the line. */
  | { kind: 'list'; items: string[] };

/** Completes the text before the cursor: candidates and the word they replace (readline's completer contract). */
export type Completer = (before: string) => [string[], string];

/** History entries kept, and their total characters (a session's history stays small). */
const historyEntries = 500;
const historyChars = 1024 * 1024;
/** Farthest a word motion or deletion looks (a 64 KiB "word" moves in steps). */
const wordScan = 1024;
/** Tab completes only near the start of a line: the completion tree has short words. */
const completeWithin = 4096;

const none: EditResult = { kind: 'none' };
const redraw: EditResult = { kind: 'redraw' };

function isHigh(code: number): boolean { return code >= 0xd800 && code <= 0xdbff; }
function isLow(code: number): boolean { return code >= 0xdc00 && code <= 0xdfff; }

/**
 * UTF-8 bytes of `text`, counted per UTF-16 unit so that the count of a
 * concatenation is the sum of its parts' (a surrogate counts 2, a pair 4).
 */
export function utf8Bytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return n;
}

function commonPrefix(items: readonly string[]): string {
  let prefix = items[0] ?? '';
  for (const item of items) while (!item.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/**
 * The line being typed on a terminal, its cursor and the session's history.
 * Every key costs at most a copy of the line (string slices), typing at the end
 * costs only the text typed: what the terminal receives decides the work, never
 * the square of it. No I/O.
 */
export class LineEditor {
  line = '';
  cursor = 0;
  /** UTF-8 bytes of {@link line}, kept as the line changes (never a pass over the whole line to append). */
  #bytes = 0;
  readonly #complete: Completer;
  readonly #history: string[] = [];
  #historyChars = 0;
  #index = -1;
  #saved = '';
  #lastWasTab = false;

  constructor(complete: Completer) {
    this.#complete = complete;
  }

  /** UTF-8 bytes of the line. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Empties the line (a dropped or interrupted line). */
  clearLine(): void {
    this.line = '';
    this.cursor = 0;
    this.#bytes = 0;
    this.#index = -1;
  }

  /** Applies one key. */
  apply(key: Key): EditResult {
    const wasTab = this.#lastWasTab;
    this.#lastWasTab = key.kind === 'tab';
    switch (key.kind) {
      case 'text': return this.#insert(key.text);
      case 'enter': return this.#enter();
      case 'backspace': return this.#remove(this.cursor - this.#stepBack(), this.cursor);
      case 'delete': return this.#remove(this.cursor, this.cursor + this.#stepForward());
      case 'eof': return this.line === '' ? { kind: 'eof' } : this.#remove(this.cursor, this.cursor + this.#stepForward());
      case 'left': return this.#move(this.cursor - this.#stepBack());
      case 'right': return this.#move(this.cursor + this.#stepForward());
      case 'home': return this.#move(0);
      case 'end': return this.#move(this.line.length);
      case 'word-left': return this.#move(this.#wordStart());
      case 'word-right': return this.#move(this.#wordEnd());
      case 'kill-start': return this.#remove(0, this.cursor);
      case 'kill-end': return this.#remove(this.cursor, this.line.length);
      case 'kill-word': return this.#remove(this.#wordStart(), this.cursor);
      case 'up': return this.#recall(this.#index + 1);
      case 'down': return this.#recall(this.#index - 1);
      case 'tab': return this.#tab(wasTab);
      case 'interrupt': this.clearLine(); return { kind: 'interrupt' };
      case 'clear': return { kind: 'clear' };
      default: {
        const never: never = key;
        return never;
      }
    }
  }

  #insert(text: string): EditResult {
    this.#bytes += utf8Bytes(text);
    if (this.cursor === this.line.length) {
      this.line += text;
      this.cursor = this.line.length;
      return { kind: 'append', text };
    }
    this.line = this.line.slice(0, this.cursor) + text + this.line.slice(this.cursor);
    this.cursor += text.length;
    return redraw;
  }

  #remove(from: number, to: number): EditResult {
    if (from >= to) return none;
    this.#bytes -= utf8Bytes(this.line.slice(from, to));
    this.line = this.line.slice(0, from) + this.line.slice(to);
    this.cursor = from;
    return redraw;
  }

  #move(to: number): EditResult {
    if (to === this.cursor) return none;
    this.cursor = to;
    return redraw;
  }

  #stepBack(): number {
    const c = this.cursor;
    if (c === 0) return 0;
    return c >= 2 && isLow(this.line.charCodeAt(c - 1)) && isHigh(this.line.charCodeAt(c - 2)) ? 2 : 1;
  }

  #stepForward(): number {
    const c = this.cursor;
    if (c >= this.line.length) return 0;
    return isHigh(this.line.charCodeAt(c)) && isLow(this.line.charCodeAt(c + 1)) ? 2 : 1;
  }

  #wordStart(): number {
    const limit = Math.max(0, this.cursor - wordScan);
    let i = this.cursor;
    while (i > limit && this.line[i - 1] === ' ') i--;
    while (i > limit && this.line[i - 1] !== ' ') i--;
    return i;
  }

  #wordEnd(): number {
    const limit = Math.min(this.line.length, this.cursor + wordScan);
    let i = this.cursor;
    while (i < limit && this.line[i] === ' ') i++;
    while (i < limit && this.line[i] !== ' ') i++;
    return i;
  }

  #enter(): EditResult {
    const line = this.line;
    this.#remember(line);
    this.clearLine();
    return { kind: 'line', line };
  }

  #remember(line: string): void {
    if (line.trim() === '') return;
    const dup = this.#history.indexOf(line);
    if (dup !== -1) this.#history.splice(dup, 1);
    else this.#historyChars += line.length;
    this.#history.unshift(line);
    while (this.#history.length > historyEntries || (this.#historyChars > historyChars && this.#history.length > 1)) {
      this.#historyChars -= this.#history.pop()?.length ?? 0;
    }
  }

  #recall(index: number): EditResult {
    if (index < -1 || index >= this.#history.length || index === this.#index) return none;
    if (this.#index === -1) this.#saved = this.line;
    this.#index = index;
    this.line = index === -1 ? this.#saved : this.#history[index] ?? '';
    this.#bytes = utf8Bytes(this.line);
    this.cursor = this.line.length;
    return redraw;
  }

  #tab(again: boolean): EditResult {
    if (this.cursor > completeWithin) return none;
    const [hits, word] = this.#complete(this.line.slice(0, this.cursor));
    if (hits.length === 0) return none;
    const prefix = hits.length === 1 ? hits[0] ?? '' : commonPrefix(hits);
    if (prefix.startsWith(word) && prefix.length > word.length) {
      this.#lastWasTab = false;
      return this.#insert(prefix.slice(word.length));
    }
    return again && hits.length > 1 ? { kind: 'list', items: hits } : none;
  }
}
