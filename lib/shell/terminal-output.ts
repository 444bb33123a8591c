import { Writable } from 'node:stream';
import type { PtySize, ShellIo } from './context.js';

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
