import { StringDecoder } from 'node:string_decoder';
import { Writable, type Readable } from 'node:stream';
import { LineEditor, type Completer, type EditResult } from './editor.js';
import type { PtySize, ShellIo } from './context.js';
import { maxLineBytes, tooLong, type LineQueue, type LineSource } from './input.js';
import { KeyDecoder, type Key } from './keys.js';
import { displayWidth } from './render/width.js';

/**
 * The output of an interactive session: a writable with `columns`/`rows` that
 * emits `resize`. Writes go straight (in order) to the session's output,
 * whatever their origin (the line editor's echo or a command).
 */
export class TerminalOutput extends Writable {
  columns: number;
  rows: number;
  readonly #target: Writable;

  constructor(target: Writable, size: PtySize) {
    super({ decodeStrings: false });
    this.#target = target;
    this.columns = size.cols;
    this.rows = size.rows;
  }

  /** Follows the client's window size. */
  follow(io: ShellIo): void {
    io.onResize((size) => {
      this.columns = size.cols;
      this.rows = size.rows;
      this.emit('resize');
    });
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#target.write(chunk)) cb();
    else this.#target.once('drain', () => cb());
  }
}

/** What an interactive session shows first. */
export const banner = [
  '',
  '  sshportal - admin shell',
  '',
  "  Type 'help' for the commands, 'help COMMAND' or 'COMMAND -h' for details,",
  "  Tab to complete, 'exit' or Ctrl-D to leave.",
  '',
  '',
].join('\n');

const esc = '\u001b[';
/** Above this many characters a line is redrawn at most every {@link redrawEveryMs}. */
const longLine = 2048;
const redrawEveryMs = 25;
/** Keys after which the line must already show as typed. */
const endsLine: ReadonlySet<Key['kind']> = new Set(['enter', 'interrupt', 'eof', 'tab']);
const up = (n: number): string => (n > 0 ? `${esc}${n}A` : '');
const down = (n: number): string => (n > 0 ? `${esc}${n}B` : '');
const right = (n: number): string => (n > 0 ? `${esc}${n}C` : '');

/**
 * The terminal's line editor: reads the session's input, edits the line with
 * {@link LineEditor}, echoes it and queues finished lines. Linear in what the
 * client sends: typing at the end echoes only what was typed; any other edit
 * redraws the line once per batch of input (not once per key); a line is cut at
 * {@link maxLineBytes} bytes of input (`error: line too long`, the rest up to
 * Enter is dropped). Reading stops while the queue is full or the client does not read.
 */
export class TerminalEditor implements LineSource {
  readonly #input: Readable;
  readonly #out: TerminalOutput;
  readonly #queue: LineQueue;
  readonly #editor: LineEditor;
  readonly #keys = new KeyDecoder();
  #utf8 = new StringDecoder('utf8');
  #prompt = '';
  /** Row of the terminal's cursor, counted from the prompt's first row. */
  #cursorRow = 0;
  /** Display columns of prompt and line as last shown. */
  #shownWidth = 0;
  #append = '';
  #redraw = false;
  #scheduled = false;
  /** Bytes of input since the last end of line (or Ctrl-C). */
  #lineBytes = 0;
  #dropping = false;
  #queueFlowing = true;
  #outputBlocked = false;
  #done = false;
  #timer: NodeJS.Timeout | null = null;
  readonly #onData = (chunk: Buffer | string): void => this.#receive(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  readonly #onEnd = (): void => this.#finish();

  constructor(input: Readable, out: TerminalOutput, queue: LineQueue, complete: Completer) {
    this.#input = input;
    this.#out = out;
    this.#queue = queue;
    this.#editor = new LineEditor(complete);
    queue.attach(this);
    input.on('data', this.#onData);
    input.once('end', this.#onEnd);
    input.once('close', this.#onEnd);
    input.once('error', this.#onEnd);
  }

  /** Stops reading: the session is over. */
  close(): void {
    this.#done = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#input.off('data', this.#onData);
  }

  prompt(prompt: string): void {
    this.#flush();
    this.#prompt = prompt;
    this.#cursorRow = 0;
    this.#draw();
  }

  setFlowing(flowing: boolean): void {
    this.#queueFlowing = flowing;
    this.#updateFlow();
  }

  #updateFlow(): void {
    if (this.#done) return;
    if (this.#queueFlowing && !this.#outputBlocked) this.#input.resume();
    else this.#input.pause();
  }

  #write(text: string): void {
    if (text === '' || this.#done) return;
    if (!this.#out.write(text) && !this.#outputBlocked) {
      this.#outputBlocked = true;
      this.#updateFlow();
      this.#out.once('drain', () => { this.#outputBlocked = false; this.#updateFlow(); });
    }
  }

  #finish(): void {
    if (this.#done) return;
    this.#flush();
    this.close();
    this.#queue.end();
  }

  /** Splits input at the bytes that end a line (CR, LF, Ctrl-C) to count each line's bytes. */
  #receive(buf: Buffer): void {
    let start = 0;
    for (let i = 0; i <= buf.length && !this.#done; i++) {
      const b = buf[i];
      const last = i === buf.length;
      if (!last && b !== 0x0d && b !== 0x0a && b !== 0x03) continue;
      if (!this.#dropping && this.#lineBytes + (i - start) > maxLineBytes) this.#tooLong();
      if (!this.#dropping) {
        this.#feed(buf.subarray(start, last ? i : i + 1));
        this.#lineBytes += i - start;
      }
      if (!last) {
        this.#lineBytes = 0;
        this.#dropping = false;
      }
      start = i + 1;
    }
  }

  #feed(bytes: Buffer): void {
    for (const key of this.#keys.decode(this.#utf8.write(bytes))) {
      if (this.#done) return;
      // The line as typed shows before what ends it (Enter, Ctrl-C, a completion list).
      if (endsLine.has(key.kind)) this.#flush();
      const r = this.#editor.apply(key);
      this.#show(r);
    }
  }

  #show(r: EditResult): void {
    switch (r.kind) {
      case 'none': return;
      case 'append': if (!this.#redraw) this.#append += r.text; return this.#schedule();
      case 'redraw': this.#redraw = true; this.#append = ''; return this.#schedule();
      case 'line': return this.#endLine('', r.line);
      case 'interrupt': this.#endLine('^C', null); return this.#draw();
      case 'eof': this.#endLine('', null); return this.#finish();
      case 'clear': this.#write(`${esc}H${esc}2J`); this.#cursorRow = 0; this.#redraw = true; return this.#schedule();
      case 'list': this.#endLine('', null); this.#write(`${r.items.join('  ')}\r\n`); return this.#draw();
      default: {
        const never: never = r;
        return never;
      }
    }
  }

  /** Leaves the line as shown (with `mark`), moves below it; queues `line` when given. */
  #endLine(mark: string, line: string | null): void {
    this.#flush();
    const cols = this.#cols();
    this.#write(`${down(Math.floor(this.#shownWidth / cols) - this.#cursorRow)}${mark}\r\n`);
    this.#cursorRow = 0;
    this.#shownWidth = 0;
    if (line !== null) this.#queue.push(line);
  }

  /** The line is over the limit: drop it and what follows up to Enter; the command loop answers the error. */
  #tooLong(): void {
    this.#editor.clearLine();
    this.#keys.reset();
    this.#utf8 = new StringDecoder('utf8');
    this.#append = '';
    this.#redraw = false;
    this.#endLine('', null);
    this.#dropping = true;
    this.#queue.push(tooLong);
  }

  #cols(): number {
    return Math.max(1, this.#out.columns || 80);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // One redraw per batch of input: keys arriving together cost one pass over the line.
    // A long line is redrawn at most every few milliseconds, so keys sent one by one
    // cannot make each cost a copy of the line (in CPU and in bytes sent back).
    const flush = (): void => { this.#timer = null; this.#scheduled = false; this.#flush(); };
    if (this.#redraw && this.#editor.line.length > longLine) this.#timer = setTimeout(flush, redrawEveryMs);
    else setImmediate(flush);
  }

  #flush(): void {
    if (this.#redraw) this.#draw();
    else if (this.#append !== '') {
      const text = this.#append;
      this.#append = '';
      this.#shownWidth += displayWidth(text);
      const cols = this.#cols();
      // At the exact end of a row a terminal waits to wrap: make it wrap, so the cursor's row is known.
      this.#write(this.#shownWidth % cols === 0 ? `${text} \r` : text);
      this.#cursorRow = Math.floor(this.#shownWidth / cols);
    }
  }

  /** Redraws prompt and line from the prompt's first row and puts the cursor in place. */
  #draw(): void {
    this.#redraw = false;
    this.#append = '';
    const { line, cursor } = this.#editor;
    const cols = this.#cols();
    const promptWidth = displayWidth(this.#prompt);
    const at = promptWidth + displayWidth(line.slice(0, cursor));
    const end = at + displayWidth(line.slice(cursor));
    const endRow = Math.floor(end / cols);
    const wrap = end > 0 && end % cols === 0 ? ' \r' : '';
    const row = Math.floor(at / cols);
    this.#write(`${up(this.#cursorRow)}\r${esc}J${this.#prompt}${line}${wrap}${up(endRow - row)}${end === at ? '' : `\r${right(at % cols)}`}`);
    this.#cursorRow = row;
    this.#shownWidth = end;
  }
}
