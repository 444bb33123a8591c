import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ClusterView } from '../cluster/index.js';
import type { ServerConfig } from '../config/server-config.js';
import type { Database } from '../db/database.js';
import type { User } from '../db/entities/user.js';
import { asError } from '../errors.js';
import type { Logger } from '../log.js';
import { complete, completionTree } from './complete.js';
import type { LineInput, SessionState, ShellContext } from './context.js';
import { LineQueue, StreamInput } from './input.js';
import { buildProgram } from './program.js';
import { runLine } from './run.js';
import { banner, TerminalOutput } from './terminal.js';

/** What the admin shell needs from the rest of the portal. */
export interface ShellDeps {
  db: Database;
  log: Logger;
  config: ServerConfig;
  /** The portal's version string. */
  version: string;
  now?: () => Date;
  /** Node liveness and live session counters; absent outside a running portal. */
  cluster?: ClusterView;
}

/** Who is running the shell. `user.roles` and `user.groups` are loaded. */
export interface ShellIdentity {
  user: User;
  remoteAddr: string;
}

/** Terminal size of an interactive session. */
export interface PtySize { cols: number; rows: number }

/** The streams of one shell session (an SSH channel, seen without ssh2). */
export interface ShellIo {
  input: Readable;
  output: Writable;
  errorOutput: Writable;
  /** Present when the client asked for a terminal. */
  pty: PtySize | null;
  /** Registers a listener for terminal resizes. */
  onResize(listener: (size: PtySize) => void): void;
}

function makeContext(deps: ShellDeps, who: ShellIdentity, input: LineInput, out: Writable, err: Writable, pty: PtySize | null): ShellContext {
  const session: SessionState = { lastStatus: 0, exitStatus: null };
  const term = out instanceof TerminalOutput ? out : null;
  return {
    deps, who, input, session, interactive: pty !== null,
    columns: () => Math.max(40, Math.min(term?.columns ?? pty?.cols ?? 100, 200)),
    now: () => (deps.now ? deps.now() : new Date()),
    out: (text) => { out.write(text); },
    err: (text) => { err.write(text); },
  };
}

/** Runs lines until `exit` or the end of input; the status is `exit`'s or the last command's. */
async function loop(ctx: ShellContext, lines: LineQueue, prompt: string): Promise<number> {
  for (;;) {
    const line = await lines.readLine(prompt);
    if (line === null) break;
    await runLine(ctx, line);
    if (ctx.session.exitStatus !== null) return ctx.session.exitStatus;
  }
  return ctx.session.lastStatus;
}

async function interactive(deps: ShellDeps, who: ShellIdentity, io: ShellIo, pty: PtySize): Promise<number> {
  const term = new TerminalOutput(io.output, pty);
  term.follow(io);
  term.write(banner);
  let tree: ReturnType<typeof completionTree> | null = null;
  const rl = createInterface({
    input: io.input, output: term, terminal: true, historySize: 500, removeHistoryDuplicates: true, tabSize: 4,
    completer: (line: string): [string[], string] => complete(tree ?? {}, line),
  });
  rl.on('SIGINT', () => { term.write('^C\n'); rl.write(null, { ctrl: true, name: 'u' }); rl.prompt(); });
  const lines = new LineQueue(rl, true);
  // On a terminal, errors go through the same stream as the rest so they show in order with the prompt.
  const ctx = makeContext(deps, who, lines, term, term, pty);
  tree = completionTree(buildProgram(ctx));
  try {
    return await loop(ctx, lines, 'config> ');
  } finally {
    rl.close();
  }
}

async function script(deps: ShellDeps, who: ShellIdentity, io: ShellIo): Promise<number> {
  const rl = createInterface({ input: io.input, terminal: false, crlfDelay: Infinity });
  const lines = new LineQueue(rl, false);
  try {
    return await loop(makeContext(deps, who, lines, io.output, io.errorOutput, null), lines, '');
  } finally {
    rl.close();
  }
}

/**
 * Runs one admin shell session: `command` (the SSH exec string) runs once;
 * null runs interactively (with a pty) or line by line from input (without).
 * Resolves with the exit status for the client; never rejects, never touches `process`.
 */
export async function runShell(deps: ShellDeps, who: ShellIdentity, io: ShellIo, command: string | null): Promise<number> {
  try {
    if (command !== null && command.trim() !== '') {
      const ctx = makeContext(deps, who, new StreamInput(io.input), io.output, io.errorOutput, io.pty);
      await runLine(ctx, command);
      return ctx.session.exitStatus ?? ctx.session.lastStatus;
    }
    return io.pty ? await interactive(deps, who, io, io.pty) : await script(deps, who, io);
  } catch (err) {
    deps.log.error('admin shell failed', { err: asError(err), user: who.user.name });
    io.errorOutput.write('error: internal error\n');
    return 1;
  }
}
