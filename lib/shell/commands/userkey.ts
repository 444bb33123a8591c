import type { Command } from 'commander';
import { userKeyJson } from '../../db/json/go-json.js';
import { UserKey } from '../../db/entities/index.js';
import { deleteRows, insertRow } from '../../db/queries/common.js';
import { assertKeyUnbound, findUserKeys, findUserKeysOrUsersKeys, listUserKeys } from '../../db/queries/user-keys.js';
import { findUsers } from '../../db/queries/users.js';
import { parsePublicKey } from '../../crypto/ssh-keys.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ShellContext } from '../context.js';
import { checkComment } from '../parse/values.js';
import { humanizeTime } from '../render/humanize.js';
import { act, audit, change, defineInspect, defineLs, defineRm } from './common.js';

async function readPublicKey(ctx: ShellContext): Promise<string> {
  for (;;) {
    const line = await ctx.input.readLine('Enter key: ');
    if (line === null) throw new InvalidArgumentError('no public key given on standard input');
    if (line.trim() !== '') return line.trim();
  }
}

function defineCreate(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('create').description('adds a public key (an authorized_keys line read from standard input) to a user')
    .argument('<USER>', 'user id, email or name').option('-c, --comment <comment>', 'adds a comment (default: the key comment)');
  act(cmd, ctx, ['admin'], async ({ args, opts }) => {
    const user = (await findUsers(ctx.deps.db.manager, args)).at(0);
    if (!user) return;
    const info = parsePublicKey(await readPublicKey(ctx));
    const comment = checkComment(opts.string('comment') ?? info.comment);
    const key = await change(ctx, async (m) => {
      await assertKeyUnbound(m, info.fingerprint);
      const k = await insertRow(m, UserKey, { key: info.blob, fingerprint: info.fingerprint, authorizedKey: `${info.algo} ${info.blob}`, userId: user.id, comment });
      await audit(m, ctx, { domain: 'userkey', action: 'create', entity: user.name, args: { fingerprint: info.fingerprint, comment } });
      return k;
    });
    ctx.out(`${key.id}\n`);
  });
}

/** Registers `userkey`: manages the public keys users log in with. */
export function registerUserKey(root: Command, ctx: ShellContext): void {
  const parent = root.command('userkey').description('manages user keys');
  defineCreate(parent, ctx);
  defineInspect(parent, ctx, { argName: 'USERKEY', noun: 'user keys', find: (m, ids) => findUserKeys(m, ids, true), json: userKeyJson });
  defineLs<UserKey>(parent, ctx, ['admin'], {
    columns: ['ID', 'User', 'Updated', 'Created', 'Comment'],
    noun: 'userkeys',
    fetch: listUserKeys,
    row: (k, now) => [String(k.id), k.user?.email ?? 'n/a', humanizeTime(k.updatedAt, now), humanizeTime(k.createdAt, now), k.comment],
  });
  defineRm(parent, ctx, {
    argName: 'USERKEY', noun: 'user keys', domain: 'userkey', description: 'removes user keys (by id, or all keys of a user by name or email)',
    find: findUserKeysOrUsersKeys, label: (k) => `${k.id} (${k.fingerprint})`,
    remove: (m, keys) => deleteRows(m, UserKey, keys.map((k) => k.id)),
  });
}
