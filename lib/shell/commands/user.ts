import type { Command } from 'commander';
import { userJson } from '../../db/json/go-json.js';
import { User } from '../../db/entities/index.js';
import { deleteRows, insertRow } from '../../db/queries/common.js';
import { findGroups, userGroupKind } from '../../db/queries/groups.js';
import { assertAdminRemains, assertUserNameFree, findUsers, listUsers, type UserListRow } from '../../db/queries/users.js';
import { hashToken, randomToken } from '../../crypto/tokens.js';
import type { ShellContext } from '../context.js';
import { checkComment, checkEmail, checkName } from '../parse/values.js';
import { humanizeTime } from '../render/humanize.js';
import { act, audit, change, collect, defineInspect, defineLs, defineRm } from './common.js';
import { defineUserUpdate, inviteExpiry } from './user-update.js';

/** The lines `user invite` prints: the login to use, shown once. */
export function inviteMessage(id: number, token: string, expires: Date | null, port: number): string {
  const portFlag = port === 22 || port === 0 ? '' : `-p ${port} `;
  return [
    `User ${id} created.`,
    `To associate this account with a key, use the following SSH user: 'invite:${token}'.`,
    `  ssh ${portFlag}invite:${token}@<portal address>`,
    expires ? `The invite expires at ${expires.toISOString()}.` : 'The invite does not expire.',
  ].join('\n') + '\n';
}

function defineInvite(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('invite').description('invites a new user').argument('<email>')
    .option('-n, --name <name>', 'name of the user (default: the part of the email before @)')
    .option('-c, --comment <comment>', 'adds a comment')
    .option('-g, --group <USERGROUP>', "user groups of the user, repeatable (default: 'default')", collect);
  act(cmd, ctx, ['admin'], async ({ args, opts }) => {
    const email = checkEmail(args[0] ?? '');
    const name = checkName(opts.string('name') ?? email.split('@')[0], 'user');
    const comment = checkComment(opts.string('comment') ?? '');
    const token = randomToken(32);
    const expires = inviteExpiry(ctx);
    const user = await change(ctx, async (m) => {
      await assertUserNameFree(m, name);
      const groupNames = opts.list('group');
      const groups = await findGroups(m, userGroupKind, groupNames.length > 0 ? groupNames : ['default']);
      const u = await insertRow(m, User, { name, email, comment, inviteToken: hashToken(token), inviteExpiresAt: expires, groups, roles: [] });
      await audit(m, ctx, { domain: 'user', action: 'invite', entity: name, args: { email, name, comment, groups: groups.map((g) => g.name) } });
      return u;
    });
    ctx.out(inviteMessage(user.id, token, expires, ctx.deps.config.listen.port));
  });
}

function userRow(u: UserListRow, now: Date): string[] {
  return [
    String(u.id), u.name, u.email, u.roleNames.join(', '), String(u.keyCount), u.groupNames.join(', '),
    humanizeTime(u.updatedAt, now), humanizeTime(u.createdAt, now), u.comment,
  ];
}

/** Registers `user`: manages users. */
export function registerUser(root: Command, ctx: ShellContext): void {
  const parent = root.command('user').description('manages users');
  defineInspect(parent, ctx, {
    argName: 'USER', noun: 'users', find: (m, ids) => findUsers(m, ids, { roles: true, groups: true, keys: true }), json: userJson,
  });
  defineInvite(parent, ctx);
  defineLs<UserListRow>(parent, ctx, ['admin'], {
    columns: ['ID', 'Name', 'Email', 'Roles', 'Keys', 'Groups', 'Updated', 'Created', 'Comment'],
    noun: 'users',
    fetch: listUsers,
    row: userRow,
  });
  defineRm(parent, ctx, {
    argName: 'USER', noun: 'users', domain: 'user', find: (m, ids) => findUsers(m, ids), label: (u) => u.name,
    remove: async (m, users) => {
      await deleteRows(m, User, users.map((u) => u.id));
      await assertAdminRemains(m);
    },
  });
  defineUserUpdate(parent, ctx);
}
