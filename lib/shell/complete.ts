import type { Command } from 'commander';

/** Command names, their subcommands and their options, for tab completion. */
export interface CompletionTree {
  [command: string]: { [sub: string]: string[] };
}

/** Builds the completion tree from a program (names and aliases, subcommands, long options). */
export function completionTree(root: Command): CompletionTree {
  const tree: CompletionTree = {};
  for (const cmd of root.commands) {
    const subs: { [sub: string]: string[] } = {};
    for (const sub of cmd.commands) subs[sub.name()] = sub.options.map((o) => o.long).filter((l): l is string => typeof l === 'string');
    for (const name of [cmd.name(), ...cmd.aliases()]) tree[name] = subs;
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
  const match = (candidates: string[]): [string[], string] => {
    const hits = candidates.filter((c) => c.startsWith(current)).sort();
    return [hits.length === 1 ? [`${hits[0]} `] : hits, current];
  };
  if (words.length <= 1) return match(Object.keys(tree));
  // Index signatures do not say a key may be missing; the user typed these words.
  const subs = tree[words[0] ?? ''] as CompletionTree[string] | undefined;
  if (!subs) return [[], current];
  if (words.length === 2) return match(Object.keys(subs));
  const options = subs[words[1] ?? ''] as string[] | undefined;
  return options && current.startsWith('-') ? match(options) : [[], current];
}
