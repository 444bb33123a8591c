/**
 * What a terminal sends, as keys: runs of printable text, control keys and the
 * escape sequences of xterm-like terminals. Pure and incremental (a sequence may
 * be split across chunks); one pass over the input.
 */

/** One key (or a run of printable text) of the line editor. */
export type Key =
  | { kind: 'text'; text: string }
  | { kind: 'enter' | 'backspace' | 'delete' | 'tab' | 'left' | 'right' | 'home' | 'end' | 'up' | 'down' }
  | { kind: 'word-left' | 'word-right' | 'kill-start' | 'kill-end' | 'kill-word' | 'interrupt' | 'eof' | 'clear' };

/** The kinds of keys without text. */
export type KeyKind = Exclude<Key['kind'], 'text'>;

const controls: Readonly<Partial<Record<string, KeyKind>>> = {
  '\r': 'enter', '\n': 'enter', '\t': 'tab', '\u007f': 'backspace', '\b': 'backspace',
  '\u0001': 'home', '\u0005': 'end', '\u0002': 'left', '\u0006': 'right', '\u0010': 'up', '\u000e': 'down',
  '\u0003': 'interrupt', '\u0004': 'eof', '\u000b': 'kill-end', '\u0015': 'kill-start', '\u0017': 'kill-word', '\u000c': 'clear',
};

/** Final bytes of `ESC [ …` and `ESC O …` sequences; `~` sequences by their number. */
const finals: Readonly<Partial<Record<string, KeyKind>>> = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end' };
const tildes: Readonly<Partial<Record<string, KeyKind>>> = { 1: 'home', 7: 'home', 4: 'end', 8: 'end', 3: 'delete' };
/** `ESC x` (Meta or Alt + x). */
const metas: Readonly<Partial<Record<string, KeyKind>>> = { b: 'word-left', f: 'word-right', '\u007f': 'kill-word', '\b': 'kill-word' };

/** Longest escape sequence kept while waiting for its end; longer ones are dropped. */
const maxSequence = 32;

const printable = /[^\u0000-\u001f\u007f-\u009f\u001b]+/y;
const csi = /\u001b\[([0-9;?]*)([\u0040-\u007e])?/y;

/** Turns chunks of terminal input (already decoded from UTF-8) into keys. */
export class KeyDecoder {
  #pending = '';
  #lastWasCr = false;

  /** The keys in `chunk` (with what was left pending from the previous chunk). */
  decode(chunk: string): Key[] {
    const text = this.#pending + chunk;
    this.#pending = '';
    const keys: Key[] = [];
    let i = 0;
    while (i < text.length) {
      printable.lastIndex = i;
      const run = printable.exec(text);
      if (run) {
        keys.push({ kind: 'text', text: run[0] });
        i += run[0].length;
        this.#lastWasCr = false;
        continue;
      }
      const ch = text[i] ?? '';
      if (ch === '\u001b') {
        const used = this.#escape(text, i, keys);
        if (used === 0) {
          if (text.length - i <= maxSequence) this.#pending = text.slice(i);
          break;
        }
        i += used;
        continue;
      }
      // CR LF (or a paste's LF after CR) is one Enter.
      if (!(ch === '\n' && this.#lastWasCr)) {
        const kind = controls[ch];
        if (kind) keys.push({ kind });
      }
      this.#lastWasCr = ch === '\r';
      i++;
    }
    return keys;
  }

  /** Decodes the escape sequence at `i`; returns the characters it took, 0 when it is not complete yet. */
  #escape(text: string, i: number, keys: Key[]): number {
    this.#lastWasCr = false;
    const next = text[i + 1] as string | undefined;
    if (next === undefined) return 0;
    if (next === '[') {
      csi.lastIndex = i;
      const m = csi.exec(text);
      if (!m) return 2;
      // Parameters up to the end of the chunk: wait for the rest; a malformed or endless sequence is dropped.
      const final = m[2] as string | undefined;
      if (final === undefined) return i + m[0].length < text.length || m[0].length > maxSequence ? m[0].length : 0;
      const kind = final === '~' ? tildes[m[1]] : finals[final];
      if (kind) keys.push({ kind });
      return m[0].length;
    }
    if (next === 'O') {
      const f = text[i + 2] as string | undefined;
      if (f === undefined) return 0;
      const kind = finals[f];
      if (kind) keys.push({ kind });
      return 3;
    }
    const kind = metas[next];
    if (kind) keys.push({ kind });
    return 2;
  }
}
