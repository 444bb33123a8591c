import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';
import type { ShellContext } from './context.js';
import { requireAccess, type Access } from './guard.js';

/** Typed reads of commander's option bag (`unknown` values narrowed here, once). */
export interface Options {
  /** A string option, or undefined when not given. */
  string(name: string): string | undefined;
  /** A repeatable option (`--group a --group b`, or `--group a,b`), empty when not given. */
  list(name: string): string[];
  /** A boolean flag. */
  flag(name: string): boolean;
}

/** What an action receives. */
export interface Invocation {
  /** Operands (positional arguments), flattened. */
  args: string[];
  opts: Options;
}

function readOptions(bag: Record<string, unknown>): Options {
  return {
    string(name) {
      const v = bag[name];
      if (v === undefined) return undefined;
      if (typeof v !== 'string') throw new InvalidArgumentError(`option --${name} expects a value`);
      return v;
    },
    list(name) {
      const v = bag[name];
      if (v === undefined) return [];
      if (!Array.isArray(v)) throw new InvalidArgumentError(`option --${name} expects values`);
      return v.filter((x): x is string => typeof x === 'string');
    },
    flag(name) {
      return bag[name] === true;
    },
  };
}

/** Commander option parser collecting a repeatable option; `a,b` counts as two values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

function operands(cmd: Command): string[] {
  const out: string[] = [];
  for (const a of cmd.processedArgs as unknown[]) {
    if (typeof a === 'string') out.push(a);
    else if (Array.isArray(a)) for (const x of a) if (typeof x === 'string') out.push(x);
  }
  return out;
}

/**
 * Sets the action of `cmd`: checks access with the role guard, then runs `fn`.
 * Errors propagate to the command runner, which prints `error: …`.
 */
export function act(cmd: Command, ctx: ShellContext, access: Access, fn: (inv: Invocation) => Promise<void>): Command {
  return cmd.action(async () => {
    await requireAccess(ctx, access);
    await fn({ args: operands(cmd), opts: readOptions(cmd.opts()) });
  });
}
