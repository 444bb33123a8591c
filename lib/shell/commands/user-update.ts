import type { Command } from 'commander';
import type { Tx } from '../../db/database.js';
import { User } from '../../db/entities/index.js';
import { relink, saveRow } from '../../db/queries/common.js';
import { findGroups, userGroupKind } from '../../db/queries/groups.js';
import { assertAdminRemains, assertUserNameFree, findRoles, findUsers } from '../../db/queries/users.js';
import { inviteTokenRule, isStrongInviteToken } from '../../config/invite-token.js';
import { hashToken } from '../../crypto/tokens.js';
import { InvalidArgumentError } from '../../errors.js';
import type { Options } from '../action.js';
import type { ShellContext } from '../context.js';
import { checkComment, checkEmail, checkName } from '../parse/values.js';
import { act, audit, change, collect, withIds } from './common.js';

/** When an invite made now expires (null: never, with an invite TTL of 0). */
export function inviteExpiry(ctx: ShellContext): Date | null {
  const ttl = ctx.deps.config.inviteTtlMs;
  return ttl > 0 ? new Date(ctx.now().getTime() + ttl) : null;
}

interface UserChanges {
  name?: string;
  email?: string;
  comment?: string;
  inviteToken?: string | null;
  roles: { add: string[]; remove: string[] };
  groups: { add: string[]; remove: string[] };
}

function readChanges(opts: Options): UserChanges {
  const name = opts.string('name');
  const email = opts.string('email');
  const comment = opts.string('comment');
  const token = opts.string('invite_token');
  if (token !== undefined && opts.flag('remove_invite')) throw new InvalidArgumentError('cannot use --invite_token and --remove_invite together');
  if (token !== undefined && !isStrongInviteToken(token)) throw new InvalidArgumentError(`invalid invite token: ${inviteTokenRule}`);
  return {
    name: name === undefined ? undefined : checkName(name, 'user'),
    email: email === undefined ? undefined : checkEmail(email),
    comment: comment === undefined ? undefined : checkComment(comment),
    inviteToken: opts.flag('remove_invite') ? null : token,
    roles: { add: opts.list('assignRole'), remove: opts.list('unassignRole') },
    groups: { add: opts.list('assignGroup'), remove: opts.list('unassignGroup') },
  };
}

async function applyChanges(ctx: ShellContext, m: Tx, user: User, c: UserChanges): Promise<void> {
  if (c.name !== undefined) {
    await assertUserNameFree(m, c.name, user.id);
    user.name = c.name;
  }
  if (c.email !== undefined) user.email = c.email;
  if (c.comment !== undefined) user.comment = c.comment;
  if (c.inviteToken === null) Object.assign(user, { inviteToken: '', inviteExpiresAt: null });
  else if (c.inviteToken !== undefined) Object.assign(user, { inviteToken: hashToken(c.inviteToken), inviteExpiresAt: inviteExpiry(ctx) });
  await saveRow(m, user);
  const roleAdd = await findRoles(m, c.roles.add);
  const roleRemove = await findRoles(m, c.roles.remove);
  await relink(m, User, 'roles', user.id, roleAdd.map((r) => r.id), roleRemove.map((r) => r.id));
  const groupAdd = await findGroups(m, userGroupKind, c.groups.add);
  const groupRemove = await findGroups(m, userGroupKind, c.groups.remove);
  await relink(m, User, 'groups', user.id, groupAdd.map((g) => g.id), groupRemove.map((g) => g.id));
}

/** Defines `user update`. */
export function defineUserUpdate(parent: Command, ctx: ShellContext): void {
  const cmd = withIds(parent, 'update', 'USER', 'updates users')
    .option('-n, --name <name>', 'renames the user')
    .option('-e, --email <email>', 'changes the email')
    .option('-c, --comment <comment>', 'sets the comment')
    .option('-i, --invite_token <token>', 'sets a new invite token (the user logs in as invite:<token>)')
    .option('-R, --remove_invite', 'cancels a pending invite')
    .option('-r, --assign-role <ROLE>', 'gives roles (admin, listhosts), repeatable', collect)
    .option('--unassign-role <ROLE>', 'takes roles away, repeatable', collect)
    .option('-g, --assign-group <USERGROUP>', 'adds the user to user groups, repeatable', collect)
    .option('--unassign-group <USERGROUP>', 'removes the user from user groups, repeatable', collect);
  act(cmd, ctx, ['admin'], async ({ args, opts }) => {
    const c = readChanges(opts);
    await change(ctx, async (m) => {
      const users = await findUsers(m, args);
      if (users.length > 1 && (c.name !== undefined || c.email !== undefined || typeof c.inviteToken === 'string')) {
        throw new InvalidArgumentError('cannot set --name, --email or --invite_token when updating several users at once');
      }
      for (const u of users) await applyChanges(ctx, m, u, c);
      if (c.roles.remove.length > 0) await assertAdminRemains(m);
      const { inviteToken, ...rest } = c;
      await audit(m, ctx, { domain: 'user', action: 'update', entity: users.map((u) => u.name).join(', '), args: { ...rest, invite_token: inviteToken ?? undefined, remove_invite: inviteToken === null } });
    });
  });
}
