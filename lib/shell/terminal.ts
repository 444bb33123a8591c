import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { LineEditor, type Completer, type EditResult } from './editor.js';
import { maxLineBytes, tooLong, type LineItem, type LineQueue, type LineSource } from './input.js';
import { KeyDecoder, type Key } from './keys.js';
import { displayWidth } from './render/width.js';
import { segmentEnd } from './segments.js';
import type { TerminalOutput } from './terminal-output.js';

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
 * redraws the line once per batch of input (not once per key). A line is cut
 * (`error: line too long`, the rest up to Enter or Ctrl-C is dropped) when it
 * would exceed {@link maxLineBytes} bytes, or when more input than that came
 * since the last Enter or Ctrl-C. Input is decoded one segment at a time and
 * decoding stops, keeping the rest, while the queue is full or the client does
 * not read its output: what the session holds is bounded whatever the client sends.
 * Nothing it does for the input's events throws: a fault ends this session only.
 */
export class TerminalEditor implements LineSource {
  readonly #input: Readable;
  readonly #out: TerminalOutput;
  readonly #queue: LineQueue;
  readonly #editor: LineEditor;
  readonly #onFault: (err: unknown) => void;
  readonly #keys = new KeyDecoder();
  readonly #utf8 = new StringDecoder('utf8');
  #prompt = '';
  /** Row of the terminal's cursor, counted from the prompt's first row. */
  #cursorRow = 0;
  /** Display columns of prompt and line as last shown. */
  #shownWidth = 0;
  #append = '';
  #redraw = false;
  #scheduled = false;
  /** Bytes of input since the last Enter or Ctrl-C (as decoded: an escape sequence may swallow a CR). */
  #lineBytes = 0;
  #dropping = false;
  #queueFlowing = true;
  /** Input received and not decoded yet (reading is paused meanwhile). */
  #held: Buffer | null = null;
  #pumping = false;
  #awaitingDrain = false;
  /** The input ended: the session finishes once what is held is decoded. */
  #ended = false;
  /**
   * A line was handed to the command loop and no prompt has been shown since:
   * what is typed meanwhile is held, decoded and echoed at the next prompt (as
   * sshportal's terminal reads only at its prompt), not echoed into the
   * command's output (a JSON document written in pieces).
   */
  #busy = false;
  #done = false;
  #timer: NodeJS.Timeout | null = null;
  readonly #onData = (chunk: Buffer | string): void => this.#guard(() => this.#receive(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
  readonly #onEnd = (): void => this.#guard(() => { this.#ended = true; this.#pump(); });
  /** The channel closed: nobody reads what it sent last. */
  readonly #onClose = (): void => this.#guard(() => this.#finish());

  /** `onFault` hears of an unexpected error in the editor; the session's input has ended then. */
  constructor(input: Readable, out: TerminalOutput, queue: LineQueue, complete: Completer, onFault: (err: unknown) => void) {
    this.#input = input;
    this.#out = out;
    this.#queue = queue;
    this.#editor = new LineEditor(complete);
    this.#onFault = onFault;
    queue.attach(this);
    input.on('data', this.#onData);
    input.once('end', this.#onEnd);
    input.once('close', this.#onClose);
    input.once('error', this.#onClose);
  }

  /** Stops reading: the session is over. */
  close(): void {
    this.#done = true;
    this.#held = null;
    if (this.#timer) clearTimeout(this.#timer);
    // The end, close and error listeners stay: they do nothing now, and an error must still find a listener.
    this.#input.off('data', this.#onData);
  }

  prompt(prompt: string): void {
    this.#flush();
    this.#prompt = prompt;
    this.#cursorRow = 0;
    this.#draw();
    this.#busy = false;
    // Input typed while the command ran, held until now.
    this.#guard(() => this.#pump());
  }

  setFlowing(flowing: boolean): void {
    this.#queueFlowing = flowing;
    this.#guard(() => this.#pump());
  }

  /** Runs a step for an event of the input, a timer or the queue; a fault ends the session instead of escaping. */
  #guard(step: () => void): void {
    try {
      step();
    } catch (err) {
      this.#fail(err);
    }
  }

  #fail(err: unknown): void {
    const first = !this.#done;
    this.close();
    this.#queue.end();
    if (first) this.#onFault(err);
  }

  #receive(buf: Buffer): void {
    if (this.#done || buf.length === 0) return;
    this.#held = this.#held ? Buffer.concat([this.#held, buf]) : buf;
    this.#pump();
  }

  /** Decodes held input, a segment at a time, while there is room for its lines and its output. */
  #pump(): void {
    if (this.#pumping || this.#done) return;
    this.#pumping = true;
    try {
      // close() lets go of what is held: the loop stops when the session ends.
      while (this.#held && !this.#busy && this.#queueFlowing && !this.#out.writableNeedDrain) {
        const held = this.#held;
        const end = segmentEnd(held);
        this.#held = end < held.length ? held.subarray(end) : null;
        this.#segment(held.subarray(0, end));
      }
    } finally {
      this.#pumping = false;
    }
    if (!this.#held && this.#ended) this.#finish();
    else this.#updateFlow();
  }

  /** Reads from the client only when nothing is held, the queue has room and the client reads its output. */
  #updateFlow(): void {
    if (this.#done) return;
    const blocked = this.#out.writableNeedDrain;
    if (!this.#held && this.#queueFlowing && !blocked) this.#input.resume();
    else this.#input.pause();
    if (blocked && !this.#awaitingDrain) {
      this.#awaitingDrain = true;
      this.#out.once('drain', () => this.#guard(() => { this.#awaitingDrain = false; this.#pump(); }));
    }
  }

  #write(text: string): void {
    if (text === '' || this.#done) return;
    this.#out.write(text);
    // Reading stops as soon as the client falls behind, not only at the next input.
    if (this.#out.writableNeedDrain) this.#updateFlow();
  }

  #finish(): void {
    if (this.#done) return;
    this.#flush();
    this.close();
    this.#queue.end();
  }

  /** One segment: counted against the limit (but its last byte, which may end the line), then decoded. */
  #segment(bytes: Buffer): void {
    const last = bytes[bytes.length - 1];
    const content = last === 0x0d || last === 0x0a || last === 0x03 ? bytes.length - 1 : bytes.length;
    if (!this.#dropping && this.#lineBytes + content > maxLineBytes) this.#tooLong();
    this.#lineBytes += bytes.length;
    this.#feed(bytes);
  }

  #feed(bytes: Buffer): void {
    for (const key of this.#keys.decode(this.#utf8.write(bytes))) {
      if (this.#done) return;
      // Only a decoded Enter or Ctrl-C ends a line: a CR swallowed by an escape sequence does not.
      const ends = key.kind === 'enter' || key.kind === 'interrupt';
      if (ends) this.#lineBytes = 0;
      if (this.#dropping) {
        if (ends) this.#dropping = false;
        continue;
      }
      // The line as typed shows before what ends it (Enter, Ctrl-C, a completion list).
      if (endsLine.has(key.kind)) this.#flush();
      this.#show(this.#editor.apply(key));
      if (this.#editor.bytes > maxLineBytes) this.#tooLong();
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
    if (line !== null) this.#handOver(line);
  }

  /** Queues a line (or the mark of a too-long one) for the command loop; input is held until the next prompt. */
  #handOver(item: LineItem): void {
    this.#busy = true;
    this.#queue.push(item);
  }

  /**
   * The line is over the limit: drop it and what follows up to Enter or Ctrl-C
   * (still decoded, so that an escape sequence cannot hide its end); the command loop answers the error.
   */
  #tooLong(): void {
    this.#editor.clearLine();
    this.#append = '';
    this.#redraw = false;
    this.#endLine('', null);
    this.#dropping = true;
    this.#handOver(tooLong);
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
    const flush = (): void => this.#guard(() => { this.#timer = null; this.#scheduled = false; this.#flush(); });
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
