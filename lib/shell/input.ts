import type { Interface as ReadlineInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { LineInput } from './context.js';

/** Upper bound of what a command reads from its input (a large backup fits). */
const maxInputBytes = 256 * 1024 * 1024;

/**
 * Input of a one-shot command: the SSH channel's data, read only when a
 * command asks (`key import`, `userkey create`, `config restore`).
 */
export class StreamInput implements LineInput {
  readonly #stream: Readable;
  #buffer = '';
  #ended = false;
  #attached = false;
  #wake: (() => void) | null = null;

  constructor(stream: Readable) {
    this.#stream = stream;
  }

  #attach(): void {
    if (this.#attached) return;
    this.#attached = true;
    this.#stream.setEncoding?.('utf8');
    this.#stream.on('data', (chunk: string | Buffer) => {
      this.#buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (this.#buffer.length > maxInputBytes) this.#stream.destroy();
      this.#wake?.();
    });
    const end = (): void => { this.#ended = true; this.#wake?.(); };
    this.#stream.once('end', end);
    this.#stream.once('close', end);
    this.#stream.once('error', end);
  }

  async #waitFor(done: () => boolean): Promise<void> {
    this.#attach();
    while (!done() && !this.#ended) await new Promise<void>((resolve) => { this.#wake = resolve; });
    this.#wake = null;
  }

  async readLine(): Promise<string | null> {
    await this.#waitFor(() => this.#buffer.includes('\n'));
    const nl = this.#buffer.indexOf('\n');
    if (nl === -1) {
      const rest = this.#buffer;
      this.#buffer = '';
      return rest === '' ? null : rest;
    }
    const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
    this.#buffer = this.#buffer.slice(nl + 1);
    return line;
  }

  async readBlock(): Promise<string> {
    await this.#waitFor(() => false);
    const all = this.#buffer;
    this.#buffer = '';
    return all;
  }
}

/**
 * Lines of a session without a command (typed on a terminal or piped), shared
 * by the command loop and by commands that read input; a prompt shows only on a terminal.
 */
export class LineQueue implements LineInput {
  readonly #rl: ReadlineInterface;
  readonly #terminal: boolean;
  readonly #lines: string[] = [];
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(rl: ReadlineInterface, terminal: boolean) {
    this.#rl = rl;
    this.#terminal = terminal;
    rl.on('line', (line) => { this.#lines.push(line); this.#wake?.(); });
    rl.once('close', () => { this.#closed = true; this.#wake?.(); });
  }

  /** Whether the input ended. */
  get closed(): boolean {
    return this.#closed && this.#lines.length === 0;
  }

  async readLine(prompt: string): Promise<string | null> {
    if (this.#terminal && !this.#closed) {
      this.#rl.setPrompt(prompt);
      this.#rl.prompt();
    }
    while (this.#lines.length === 0 && !this.#closed) await new Promise<void>((resolve) => { this.#wake = resolve; });
    this.#wake = null;
    return this.#lines.shift() ?? null;
  }

  async readBlock(prompt: string): Promise<string> {
    const out: string[] = [];
    for (let line = await this.readLine(prompt); line !== null && line.trim() !== ''; line = await this.readLine('')) out.push(line);
    return out.join('\n');
  }
}
