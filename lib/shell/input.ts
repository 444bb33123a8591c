import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../errors.js';
import type { LineInput } from './context.js';

/**
 * Longest line the shell reads (bytes, end of line excluded). A command line,
 * an authorized_keys line or a pasted private key line are far shorter; without
 * a bound a stream with no newline would be buffered until the portal runs out of memory.
 */
export const maxLineBytes = 64 * 1024;

/** Upper bound of what a command reads from its input (a large backup fits). */
const maxInputBytes = 256 * 1024 * 1024;

/** Lines read ahead of the commands before reading from the client pauses (its SSH window then fills). */
const maxQueuedLines = 64;

/** A line longer than {@link maxLineBytes}: it was dropped up to its end. */
class LineTooLongError extends InvalidArgumentError {
  constructor() { super('line too long'); }
}

/** What a command read as a block was larger than {@link maxInputBytes}. */
class InputTooLargeError extends InvalidArgumentError {
  constructor() { super('input too large'); }
}

/**
 * Input of a one-shot command: the SSH channel's data, read only when a
 * command asks (`key import`, `userkey create`, `config restore`). One pass over
 * the data; reading pauses once a line or a block has more than it may hold.
 */
export class StreamInput implements LineInput {
  readonly #stream: Readable;
  #buffer = '';
  /** Where the search for a newline resumes: the buffer before it has none. */
  #scanned = 0;
  #ended = false;
  #attached = false;
  #limit = maxLineBytes;
  #wake: (() => void) | null = null;

  constructor(stream: Readable) {
    this.#stream = stream;
  }

  #attach(): void {
    if (this.#attached) return;
    this.#attached = true;
    this.#stream.setEncoding('utf8');
    this.#stream.on('data', (chunk: string | Buffer) => {
      this.#buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (this.#buffer.length > this.#limit) this.#stream.pause();
      this.#wake?.();
    });
    const end = (): void => { this.#ended = true; this.#wake?.(); };
    this.#stream.once('end', end);
    this.#stream.once('close', end);
    this.#stream.once('error', end);
  }

  async #waitFor(limit: number, done: () => boolean): Promise<void> {
    this.#limit = limit;
    this.#attach();
    if (this.#buffer.length <= limit) this.#stream.resume();
    while (!done() && !this.#ended && this.#buffer.length <= limit) await new Promise<void>((resolve) => { this.#wake = resolve; });
    this.#wake = null;
  }

  #newline(): number {
    const nl = this.#buffer.indexOf('\n', this.#scanned);
    this.#scanned = nl === -1 ? this.#buffer.length : nl;
    return nl;
  }

  async readLine(): Promise<string | null> {
    await this.#waitFor(maxLineBytes, () => this.#newline() !== -1);
    const nl = this.#newline();
    if (nl === -1 && this.#buffer.length > maxLineBytes) throw new LineTooLongError();
    if (nl > maxLineBytes) throw new LineTooLongError();
    const end = nl === -1 ? this.#buffer.length : nl;
    const line = this.#buffer.slice(0, end).replace(/\r$/, '');
    this.#buffer = this.#buffer.slice(end + 1);
    this.#scanned = 0;
    return nl === -1 && line === '' ? null : line;
  }

  async readBlock(): Promise<string> {
    await this.#waitFor(maxInputBytes, () => false);
    if (this.#buffer.length > maxInputBytes) throw new InputTooLargeError();
    const all = this.#buffer;
    this.#buffer = '';
    this.#scanned = 0;
    return all;
  }
}

/** Marks, in the line queue, a line that was too long (it is answered with an error, never run). */
export const tooLong: unique symbol = Symbol('line too long');

/** One entry of the line queue. */
export type LineItem = string | typeof tooLong;

/** Where the lines of a session come from: the script reader or the terminal line editor. */
export interface LineSource {
  /** Shows `prompt` before a line is awaited (the terminal only). */
  prompt(prompt: string): void;
  /** Stops (false) or resumes (true) reading from the client: the queue is full or has room again. */
  setFlowing(flowing: boolean): void;
}

/**
 * Lines of a session without a command (typed on a terminal or piped), shared
 * by the command loop and by commands that read input. Bounded: at most
 * {@link maxQueuedLines} wait; past that the source stops reading.
 */
export class LineQueue implements LineInput {
  readonly #items: LineItem[] = [];
  #source: LineSource | null = null;
  #closed = false;
  #wake: (() => void) | null = null;

  /** Connects the queue to where its lines come from. */
  attach(source: LineSource): void {
    this.#source = source;
  }

  /** Adds a line (or the mark of a too-long one). */
  push(item: LineItem): void {
    this.#items.push(item);
    if (this.#items.length >= maxQueuedLines) this.#source?.setFlowing(false);
    this.#wake?.();
  }

  /** The input ended: queued lines are still read, then null. */
  end(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Whether the input ended. */
  get closed(): boolean {
    return this.#closed && this.#items.length === 0;
  }

  /** The next entry, or null at the end of input; `prompt` shows on a terminal. */
  async next(prompt: string): Promise<LineItem | null> {
    if (!this.#closed) this.#source?.prompt(prompt);
    while (this.#items.length === 0 && !this.#closed) await new Promise<void>((resolve) => { this.#wake = resolve; });
    this.#wake = null;
    const item = this.#items.shift() ?? null;
    if (this.#items.length === maxQueuedLines - 1) this.#source?.setFlowing(true);
    return item;
  }

  async readLine(prompt: string): Promise<string | null> {
    const item = await this.next(prompt);
    if (item === tooLong) throw new LineTooLongError();
    return item;
  }

  /** Lines up to a blank line (or the end); a too-long line or too much text fails only after the whole block is consumed. */
  async readBlock(prompt: string): Promise<string> {
    const out: string[] = [];
    let size = 0;
    let failure: InvalidArgumentError | null = null;
    for (let item = await this.next(prompt); item !== null; item = await this.next('')) {
      if (item === tooLong) failure ??= new LineTooLongError();
      else if (item.trim() === '') break;
      else if ((size += item.length + 1) > maxInputBytes) failure ??= new InputTooLargeError();
      else if (!failure) out.push(item);
    }
    if (failure) throw failure;
    return out.join('\n');
  }
}

/**
 * Splits a byte stream into lines for the queue (the line-by-line mode without
 * a terminal): LF, CR LF or a lone CR end a line, a line over
 * {@link maxLineBytes} becomes {@link tooLong} and the rest of it is skipped.
 * One pass over the bytes. While the queue is full the stream is paused and
 * the rest of the chunk at hand waits, unsplit: at most one chunk and the
 * queue's lines are held, however many lines the client sends at once.
 */
export function readLines(input: Readable, queue: LineQueue): void {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  let lastWasCr = false;
  let flowing = true;
  let held: Buffer | null = null;
  let ended = false;
  let finished = false;
  const add = (piece: Buffer): void => {
    if (skipping || piece.length === 0) return;
    if (size + piece.length > maxLineBytes) {
      parts = [];
      size = 0;
      skipping = true;
      queue.push(tooLong);
      return;
    }
    parts.push(piece);
    size += piece.length;
  };
  const endLine = (): void => {
    if (!skipping) queue.push(Buffer.concat(parts, size).toString('utf8'));
    parts = [];
    size = 0;
    skipping = false;
  };
  /** Splits `buf` up to where the queue is full; returns what is left. */
  const split = (buf: Buffer): Buffer | null => {
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i];
      if (b !== 0x0a && b !== 0x0d) continue;
      add(buf.subarray(start, i));
      start = i + 1;
      // CR LF is one end of line, even split across two chunks: the CR ended it.
      const afterCr = i === 0 ? lastWasCr : buf[i - 1] === 0x0d;
      lastWasCr = b === 0x0d;
      if (!(b === 0x0a && afterCr)) endLine();
      if (!flowing && start < buf.length) return buf.subarray(start);
    }
    add(buf.subarray(start));
    if (start < buf.length) lastWasCr = false;
    return null;
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (size > 0) endLine();
    queue.end();
  };
  const pump = (): void => {
    while (held && flowing) held = split(held);
    if (held) input.pause();
    else if (ended) finish();
    else if (flowing) input.resume();
    else input.pause();
  };
  queue.attach({ prompt: () => undefined, setFlowing: (on) => { flowing = on; pump(); } });
  input.on('data', (chunk: Buffer | string) => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    held = held ? Buffer.concat([held, buf]) : buf;
    pump();
  });
  const end = (): void => {
    ended = true;
    pump();
  };
  input.once('end', end);
  input.once('close', end);
  input.once('error', end);
}
