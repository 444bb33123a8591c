import type { Command } from 'commander';

/**
 * Command names, their subcommands and their options, for tab completion.
 * Maps, not objects: what the user typed is looked up, and an object would
 * answer `constructor` or `__proto__` with what it inherits.
 */
export type CompletionTree = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

/** Builds the completion tree from a program (names and aliases, subcommands, long options). */
export function completionTree(root: Command): CompletionTree {
  const tree = new Map<string, ReadonlyMap<string, readonly string[]>>();
  for (const cmd of root.commands) {
    const subs = new Map<string, readonly string[]>();
    for (const sub of cmd.commands) subs.set(sub.name(), sub.options.map((o) => o.long).filter((l): l is string => typeof l === 'string'));
    for (const name of [cmd.name(), ...cmd.aliases()]) tree.set(name, subs);
  }
  return tree;
}

/**
 * Completes the word under the cursor (readline's completer contract):
 * the command, then its subcommand, then the subcommand's long options. Pure.
 */
export function complete(tree: CompletionTree, line: string): [string[], string] {
  const words = line.trimStart().split(/\s+/);
  const current = words[words.length - 1] ?? '';
  const match = (candidates: Iterable<string>): [string[], string] => {
    const hits = [...candidates].filter((c) => c.startsWith(current)).sort();
    return [hits.length === 1 ? [`${hits[0] ?? ''} `] : hits, current];
  };
  if (words.length <= 1) return match(tree.keys());
  const subs = tree.get(words[0] ?? '');
  if (!subs) return [[], current];
  if (words.length === 2) return match(subs.keys());
  const options = subs.get(words[1] ?? '');
  return options && current.startsWith('-') ? match(options) : [[], current];
}
