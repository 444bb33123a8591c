import { Command } from 'commander';
import { registerAcl } from './commands/acl.js';
import { registerConfig } from './commands/config.js';
import { registerEvent } from './commands/event.js';
import { registerHost } from './commands/host.js';
import { registerHostGroup } from './commands/hostgroup.js';
import { registerKey } from './commands/key.js';
import { registerMisc } from './commands/misc.js';
import { registerNode } from './commands/node.js';
import { registerSession } from './commands/session.js';
import { registerUser } from './commands/user.js';
import { registerUserGroup } from './commands/usergroup.js';
import { registerUserKey } from './commands/userkey.js';
import type { ShellContext } from './context.js';

/** The usage line without a program name: the shell has none (`host create [options] <url>`). */
function commandUsage(cmd: Command): string {
  const names: string[] = [];
  for (let c = cmd; c.parent; c = c.parent) names.unshift(c.name());
  return [...names, cmd.usage()].filter((s) => s !== '').join(' ');
}

function configure(root: Command, ctx: ShellContext): void {
  root
    .name('')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.out(s),
      writeErr: (s) => ctx.err(s),
      outputError: (s, write) => write(s),
      getOutHelpWidth: () => ctx.columns(),
      getErrHelpWidth: () => ctx.columns(),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ commandUsage: (cmd) => commandUsage(cmd), sortSubcommands: false })
    .showSuggestionAfterError(true)
    .helpCommand(false)
    .usage('COMMAND [options]');
}

/**
 * Builds a fresh command program for one command line of one session: every
 * resource of sshportal's admin shell, output to the session, never the process.
 */
export function buildProgram(ctx: ShellContext): Command {
  const root = new Command();
  configure(root, ctx);
  registerAcl(root, ctx);
  registerConfig(root, ctx);
  registerEvent(root, ctx);
  registerHost(root, ctx);
  registerHostGroup(root, ctx);
  registerKey(root, ctx);
  registerNode(root, ctx);
  registerSession(root, ctx);
  registerUser(root, ctx);
  registerUserGroup(root, ctx);
  registerUserKey(root, ctx);
  registerMisc(root, ctx);
  return root;
}
