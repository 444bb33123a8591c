import { CommanderError } from 'commander';
import { AlreadyExistsError, AppError, userMessage } from '../errors.js';
import { asDatabaseError } from '../db/database.js';
import { isUniqueViolation } from '../db/queries/common.js';
import type { ShellContext } from './context.js';
import { buildProgram } from './program.js';
import { splitCommandLine } from './split.js';

/** Normalizes an unexpected error: a unique-key violation that slipped through is still "already exists". */
function asUserError(err: unknown): unknown {
  if (!(err instanceof AppError) && isUniqueViolation(err)) return new AlreadyExistsError('an entry with this name already exists');
  // The database went away: say so, rather than "internal error".
  return asDatabaseError(err);
}

/**
 * Runs one command (already split into words) with a fresh program; resolves
 * with its exit status and never rejects. Errors become one `error: …` line.
 */
async function runWords(ctx: ShellContext, words: readonly string[]): Promise<number> {
  if (words.length === 0) return ctx.session.lastStatus;
  const program = buildProgram(ctx);
  let status = 0;
  try {
    await program.parseAsync([...words], { from: 'user' });
  } catch (raw) {
    if (raw instanceof CommanderError) {
      // commander already wrote its message (or the help text) through configureOutput.
      status = raw.exitCode;
    } else {
      const err = asUserError(raw);
      if (!(err instanceof AppError)) ctx.deps.log.error('admin shell command failed', { err, command: words[0], user: ctx.who.user.name });
      ctx.err(`error: ${userMessage(err)}\n`);
      status = 1;
    }
  }
  ctx.session.lastStatus = status;
  return status;
}

/** Splits and runs one command line (the one-shot command or a line typed or piped). */
export async function runLine(ctx: ShellContext, line: string): Promise<number> {
  let words: string[];
  try {
    words = splitCommandLine(line);
  } catch (err) {
    ctx.err(`error: ${userMessage(err)}\n`);
    ctx.session.lastStatus = 1;
    return 1;
  }
  return runWords(ctx, words);
}
