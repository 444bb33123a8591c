import type { ShellDeps, ShellIdentity } from './index.js';

/** Where a command reads what the operator types or pipes (a key, a backup). */
export interface LineInput {
  /** The next line without its end of line, or null at the end of input; `prompt` shows on a terminal only. */
  readLine(prompt: string): Promise<string | null>;
  /**
   * A block of text: everything up to the end of input for a one-shot command,
   * the lines up to a blank line (or the end) in the line-by-line modes.
   */
  readBlock(prompt: string): Promise<string>;
}

/** State of one shell session that outlives a single command. */
export interface SessionState {
  /** Exit status of the last command run. */
  lastStatus: number;
  /** Set by `exit`: the status the session ends with. */
  exitStatus: number | null;
}

/** Everything a command needs: who runs it, where to write, what to read, the portal's services. */
export interface ShellContext {
  readonly deps: ShellDeps;
  readonly who: ShellIdentity;
  readonly input: LineInput;
  readonly session: SessionState;
  /** Whether the session has a terminal (prompts and colours may be shown). */
  readonly interactive: boolean;
  /** Terminal width for help text. */
  columns(): number;
  now(): Date;
  out(text: string): void;
  err(text: string): void;
}
