import { expect } from 'chai';
import { Command } from 'commander';
import { allowed } from '../../../lib/shell/guard.js';
import { complete, completionTree, type CompletionTree } from '../../../lib/shell/complete.js';

/** A completion tree from a literal. */
function treeOf(literal: Record<string, Record<string, string[]>>): CompletionTree {
  return new Map(Object.entries(literal).map(([name, subs]) => [name, new Map(Object.entries(subs))]));
}

describe('shell: tab completion', () => {
  const tree = treeOf({
    host: { create: ['--name', '--group'], ls: ['--quiet', '--latest'] },
    hostgroup: { create: ['--name'] },
    help: {},
    h: {},
  });
  const cases: { line: string; want: [string[], string] }[] = [
    { line: '', want: [['h', 'help', 'host', 'hostgroup'], ''] },
    { line: 'ho', want: [['host', 'hostgroup'], 'ho'] },
    { line: 'hostg', want: [['hostgroup '], 'hostg'] },
    { line: 'host ', want: [['create', 'ls'], ''] },
    { line: 'host c', want: [['create '], 'c'] },
    { line: 'host ls --q', want: [['--quiet '], '--q'] },
    { line: 'host ls --', want: [['--latest', '--quiet'], '--'] },
    { line: 'host create web', want: [[], 'web'] },
    { line: 'nope x', want: [[], 'x'] },
    // Names every object inherits are not commands, subcommands or options.
    { line: 'host constructor -', want: [[], '-'] },
    { line: 'host __proto__ -', want: [[], '-'] },
    { line: 'host hasOwnProperty --', want: [[], '--'] },
    { line: '__proto__ hasOwnProperty -', want: [[], '-'] },
    { line: 'constructor name -', want: [[], '-'] },
    { line: 'constructor ', want: [[], ''] },
    { line: '__proto__ ', want: [[], ''] },
    { line: 'toString', want: [[], 'toString'] },
    { line: 'valueOf -', want: [[], '-'] },
    { line: 'host toString', want: [[], 'toString'] },
    { line: 'host constructor prototype -', want: [[], '-'] },
  ];
  for (const c of cases) it(`completes ${JSON.stringify(c.line)}`, () => expect(complete(tree, c.line)).to.deep.equal(c.want));

  it('builds the tree from a program, aliases included', () => {
    const root = new Command();
    const host = root.command('host');
    host.command('ls').option('-q, --quiet');
    root.command('help').alias('h');
    expect(completionTree(root)).to.deep.equal(treeOf({ host: { ls: ['--quiet'] }, help: {}, h: {} }));
  });
});

describe('shell: role guard decision', () => {
  const cases: { roles: string[]; access: Parameters<typeof allowed>[1]; want: boolean }[] = [
    { roles: [], access: 'anyone', want: true },
    { roles: ['admin'], access: ['admin'], want: true },
    { roles: ['admin'], access: ['listhosts'], want: true },
    { roles: ['listhosts'], access: ['admin', 'listhosts'], want: true },
    { roles: ['listhosts'], access: ['admin'], want: false },
    { roles: [], access: ['admin'], want: false },
    { roles: ['other'], access: ['admin', 'listhosts'], want: false },
  ];
  for (const c of cases) it(`${JSON.stringify(c.roles)} → ${JSON.stringify(c.access)}: ${c.want}`, () => expect(allowed(c.roles, c.access)).to.equal(c.want));
});
