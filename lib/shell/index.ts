import type { Readable, Writable } from 'node:stream';
import { asError } from '../errors.js';
import { complete, completionTree } from './complete.js';
import { isGone } from '../ssh/channel-gone.js';
import { discard } from '../ssh/pump.js';
import { outputDrained } from './drain.js';
import type { LineInput, PtySize, RawIo, SessionState, ShellContext, ShellDeps, ShellIdentity, ShellIo } from './context.js';
import { LineQueue, readLines, StreamInput, tooLong } from './input.js';
import { buildProgram } from './program.js';
import { runLine } from './run.js';
import { TerminalEditor } from './terminal.js';
import { banner, TerminalOutput } from './terminal-output.js';

export type { PtySize, ShellDeps, ShellIdentity, ShellIo } from './context.js';

/** The session's distinct output streams. */
function outputsOf(...streams: (Writable | undefined)[]): Writable[] {
  return [...new Set(streams.filter((s): s is Writable => s !== undefined))];
}

/** A session's context; `client` is its channel's input side (closed: nobody reads the output any more). */
function makeContext(deps: ShellDeps, who: ShellIdentity, input: LineInput, out: Writable, err: Writable, pty: PtySize | null, raw: RawIo, client: Readable): ShellContext {
  const session: SessionState = { lastStatus: 0, exitStatus: null, deniedEvents: 0 };
  const term = out instanceof TerminalOutput ? out : null;
  return {
    deps, who, input, session, interactive: pty !== null, raw,
    columns: () => Math.max(40, Math.min(term?.columns ?? pty?.cols ?? 100, 200)),
    now: () => (deps.now ? deps.now() : new Date()),
    out: (text) => { out.write(text); },
    err: (text) => { err.write(text); },
    // The channel itself (raw) as well as the stream in front of it (a terminal's CRLF writer takes writes whatever became of the channel).
    outputTaken: () => outputDrained(outputsOf(out, raw.output), client),
    clientGone: () => isGone(out) || isGone(raw.output),
  };
}

/** Where a session's output goes and whose channel it is, for the command loop to wait for the client. */
interface Flow {
  outputs: readonly Writable[];
  client: Readable;
}

/**
 * Runs lines until `exit` or the end of input; the status is `exit`'s or the
 * last command's. A command runs only once the client took the previous one's
 * output (however many lines it sent at once); a client that closed meanwhile ends the loop.
 */
async function loop(ctx: ShellContext, lines: LineQueue, prompt: string, flow: Flow): Promise<number> {
  for (;;) {
    const line = await lines.next(prompt);
    if (line === null) break;
    if (line === tooLong) {
      // Nothing of a cut line runs: it could be any command, truncated.
      ctx.err('error: line too long\n');
      ctx.session.lastStatus = 1;
    } else {
      await runLine(ctx, line);
      if (ctx.session.exitStatus !== null) return ctx.session.exitStatus;
    }
    if ((await outputDrained(flow.outputs, flow.client)) === 'gone') break;
  }
  return ctx.session.lastStatus;
}

async function interactive(deps: ShellDeps, who: ShellIdentity, io: ShellIo, pty: PtySize): Promise<number> {
  const term = new TerminalOutput(io.output, pty);
  term.follow(io);
  term.write(banner);
  let tree: ReturnType<typeof completionTree> | null = null;
  const lines = new LineQueue();
  const fault = { seen: false };
  const onFault = (err: unknown): void => {
    fault.seen = true;
    deps.log.error('admin shell input failed', { err: asError(err), user: who.user.name });
    term.write('\r\nerror: internal error\r\n');
  };
  const editor = new TerminalEditor(io.input, term, lines, (before) => complete(tree ?? new Map(), before), onFault);
  // On a terminal, errors go through the same stream as the rest so they show in order with the prompt.
  const ctx = makeContext(deps, who, lines, term, term, pty, { output: io.rawOutput ?? io.output, keys: null, pty }, io.input);
  tree = completionTree(buildProgram(ctx));
  try {
    const status = await loop(ctx, lines, 'config> ', { outputs: outputsOf(term, io.rawOutput), client: io.input });
    return fault.seen ? 1 : status;
  } finally {
    editor.close();
  }
}

async function script(deps: ShellDeps, who: ShellIdentity, io: ShellIo): Promise<number> {
  const lines = new LineQueue();
  readLines(io.input, lines);
  const ctx = makeContext(deps, who, lines, io.output, io.errorOutput, null, { output: io.rawOutput ?? io.output, keys: null, pty: null }, io.input);
  return loop(ctx, lines, '', { outputs: outputsOf(io.output, io.errorOutput, io.rawOutput), client: io.input });
}

/**
 * Runs one admin shell session: `command` (the SSH exec string) runs once;
 * null runs interactively (with a pty) or line by line from input (without).
 * Resolves with the exit status for the client; never rejects, never touches `process`.
 */
export async function runShell(deps: ShellDeps, who: ShellIdentity, io: ShellIo, command: string | null): Promise<number> {
  try {
    if (command !== null && command.trim() !== '') {
      const raw = { output: io.rawOutput ?? io.output, keys: io.input, pty: io.pty };
      const ctx = makeContext(deps, who, new StreamInput(io.input), io.output, io.errorOutput, io.pty, raw, io.input);
      await runLine(ctx, command);
      return ctx.session.exitStatus ?? ctx.session.lastStatus;
    }
    return io.pty ? await interactive(deps, who, io, io.pty) : await script(deps, who, io);
  } catch (err) {
    deps.log.error('admin shell failed', { err: asError(err), user: who.user.name });
    io.errorOutput.write('error: internal error\n');
    return 1;
  } finally {
    // Input sent after the session's end (lines after `exit`, type-ahead held while a command ran) is dropped:
    // ssh2 closes a channel only once its readable side ended, which a paused one never does.
    discard(io.input);
  }
}
