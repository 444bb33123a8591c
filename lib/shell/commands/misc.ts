import type { Command } from 'commander';
import { userRoleNames } from '../../db/queries/users.js';
import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import type { ShellContext } from '../context.js';
import { act } from './common.js';

function formatBind(ctx: ShellContext): string {
  const { host, port } = ctx.deps.config.listen;
  return `${host === undefined ? '' : host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function info(ctx: ShellContext): Promise<void> {
  const roles = await userRoleNames(ctx.deps.db.manager, ctx.who.user.id, ['admin', 'listhosts']);
  const u = ctx.who.user;
  const lines = [
    `Debug mode (server): ${ctx.deps.config.debug}`,
    `Node: ${ctx.deps.config.nodeName}`,
    `System Time: ${ctx.now().toISOString()}`,
    `User ID: ${u.id}`,
    `User name: ${u.name}`,
    `User email: ${u.email}`,
    `User roles: ${roles.join(', ')}`,
    `Remote address: ${ctx.who.remoteAddr}`,
    `Version: ${ctx.deps.version}`,
  ];
  if (roles.includes('admin')) lines.splice(2, 0, `DB Driver: ${ctx.deps.config.db.driver}`, `Bind Address: ${formatBind(ctx)}`);
  ctx.out(lines.join('\n') + '\n');
}

function help(root: Command, ctx: ShellContext, path: string[]): void {
  let target = root;
  for (const name of path) {
    const next = target.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!next) throw new NotFoundError(`unknown command '${path.join(' ')}'`);
    target = next;
  }
  ctx.out(target.helpInformation());
}

/** Registers `info`, `version`, `exit` and `help` (alias `h`): open to every user. */
export function registerMisc(root: Command, ctx: ShellContext): void {
  act(root.command('info').description('shows system-wide information'), ctx, 'anyone', () => info(ctx));
  act(root.command('version').description('shows the portal version'), ctx, 'anyone', () => {
    ctx.out(`${ctx.deps.version}\n`);
    return Promise.resolve();
  });
  const exit = root.command('exit').description('leaves the shell (with the status of the last command, or STATUS)').argument('[STATUS]');
  act(exit, ctx, 'anyone', ({ args }) => {
    const raw = args[0] as string | undefined;
    if (raw !== undefined && !/^\d{1,3}$/.test(raw)) throw new InvalidArgumentError(`invalid exit status '${raw}'`);
    ctx.session.exitStatus = raw === undefined ? ctx.session.lastStatus : Number(raw) & 255;
    return Promise.resolve();
  });
  const h = root.command('help').alias('h').description('shows help for a command').argument('[COMMAND...]');
  act(h, ctx, 'anyone', ({ args }) => {
    help(root, ctx, args);
    return Promise.resolve();
  });
}
