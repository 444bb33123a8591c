/**
 * The real `ssh` in a real terminal (node-pty), for tests that type at a
 * prompt: the admin shell's line editor, a relayed PTY session.
 */
import { spawn as ptySpawn, type IPty } from 'node-pty';

/** Strips CSI escape sequences (colours, cursor moves) from terminal output. */
function plainText(output: string): string {
  return output.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

/** One `ssh` process on a pseudo-terminal, with everything it printed. */
export class Terminal {
  /** Everything the terminal printed, escape sequences included. */
  output = '';
  /** Resolves with ssh's exit status. */
  readonly exitCode: Promise<number>;
  #pty: IPty;

  constructor(args: string[], cols = 100, rows = 30) {
    this.#pty = ptySpawn('ssh', args, { cols, rows, name: 'xterm', env: { ...process.env, TERM: 'xterm' } });
    this.#pty.onData((d) => { this.output += d; });
    this.exitCode = new Promise((resolve) => this.#pty.onExit((e) => resolve(e.exitCode)));
  }

  /** The screen text without escape sequences. */
  plain(): string {
    return plainText(this.output);
  }

  /** Waits until the output, raw or without escape sequences, matches `re`. */
  async waitFor(re: RegExp, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!re.test(this.output) && !re.test(this.plain())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${String(re)}; got ${JSON.stringify(this.plain())}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  write(s: string): void { this.#pty.write(s); }
  resize(cols: number, rows: number): void { this.#pty.resize(cols, rows); }
  kill(): void {
    try { this.#pty.kill(); } catch { /* already gone */ }
  }
}
