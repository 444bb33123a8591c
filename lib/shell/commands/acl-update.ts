import type { Command } from 'commander';
import type { Tx } from '../../db/database.js';
import { Acl } from '../../db/entities/index.js';
import { findAcls } from '../../db/queries/acls.js';
import { relink, saveRow } from '../../db/queries/common.js';
import { findGroups, hostGroupKind, userGroupKind } from '../../db/queries/groups.js';
import { InvalidArgumentError } from '../../errors.js';
import type { Options } from '../action.js';
import type { ShellContext } from '../context.js';
import { checkComment, parseAction, parseDateTime, parseWeight } from '../parse/values.js';
import { act, audit, change, collect, withIds } from './common.js';
import { checkAclShape, checkPattern } from '../parse/acl-rules.js';
import { addPolicyOptions, readPolicyOptions } from './acl-policy.js';
import type { PolicyOptions } from '../../acl/policy.js';

interface AclChanges {
  fields: Partial<Pick<Acl, 'action' | 'hostPattern' | 'weight' | 'comment' | 'inception' | 'expiration'> & PolicyOptions>;
  userGroups: { add: string[]; remove: string[] };
  hostGroups: { add: string[]; remove: string[] };
}

function readDate(opts: Options, name: string, unset: string): Date | null | undefined {
  const value = opts.string(name);
  if (value !== undefined && opts.flag(unset)) throw new InvalidArgumentError(`cannot use --${name} and --unset-${name} together`);
  if (opts.flag(unset)) return null;
  return value === undefined ? undefined : parseDateTime(value);
}

function readChanges(opts: Options): AclChanges {
  const fields: AclChanges['fields'] = {};
  const action = opts.string('action');
  const pattern = opts.string('pattern');
  const weight = opts.string('weight');
  const comment = opts.string('comment');
  if (action !== undefined) fields.action = parseAction(action);
  if (pattern !== undefined && opts.flag('unsetPattern')) throw new InvalidArgumentError('cannot use --pattern and --unset-pattern together');
  if (pattern !== undefined) fields.hostPattern = checkPattern(pattern);
  if (opts.flag('unsetPattern')) fields.hostPattern = '';
  if (weight !== undefined) fields.weight = parseWeight(weight);
  if (comment !== undefined) fields.comment = checkComment(comment);
  const inception = readDate(opts, 'inception', 'unsetInception');
  const expiration = readDate(opts, 'expiration', 'unsetExpiration');
  if (inception !== undefined) fields.inception = inception;
  if (expiration !== undefined) fields.expiration = expiration;
  return {
    fields: { ...fields, ...readPolicyOptions(opts) },
    userGroups: { add: opts.list('assignUsergroup'), remove: opts.list('unassignUsergroup') },
    hostGroups: { add: opts.list('assignHostgroup'), remove: opts.list('unassignHostgroup') },
  };
}

async function applyChanges(m: Tx, acl: Acl, c: AclChanges): Promise<void> {
  Object.assign(acl, c.fields);
  await saveRow(m, acl);
  const ugAdd = await findGroups(m, userGroupKind, c.userGroups.add);
  const ugRemove = await findGroups(m, userGroupKind, c.userGroups.remove);
  await relink(m, Acl, 'userGroups', acl.id, ugAdd.map((g) => g.id), ugRemove.map((g) => g.id));
  const hgAdd = await findGroups(m, hostGroupKind, c.hostGroups.add);
  const hgRemove = await findGroups(m, hostGroupKind, c.hostGroups.remove);
  await relink(m, Acl, 'hostGroups', acl.id, hgAdd.map((g) => g.id), hgRemove.map((g) => g.id));
  const after = (await findAcls(m, [String(acl.id)], true)).at(0);
  if (after) {
    const { hostPattern, inception, expiration } = after;
    checkAclShape({ hostPattern, inception, expiration, userGroups: after.userGroups?.length ?? 0, hostGroups: after.hostGroups?.length ?? 0 });
  }
}

/** Defines `acl update`. */
export function defineAclUpdate(parent: Command, ctx: ShellContext): void {
  const cmd = withIds(parent, 'update', 'ACL', 'updates ACLs')
    .option('-a, --action <action>', 'allow or deny')
    .option('-p, --pattern <globs>', 'host name patterns, comma-separated ssh_config globs')
    .option('--unset-pattern', 'removes the host name patterns')
    .option('-w, --weight <N>', 'priority: the lowest weight wins')
    .option('-i, --inception <date>', "valid from ('YYYY-MM-DD HH:MM' UTC, or ISO 8601)")
    .option('--unset-inception', 'valid from any date')
    .option('-e, --expiration <date>', "valid until ('YYYY-MM-DD HH:MM' UTC, or ISO 8601)")
    .option('--unset-expiration', 'valid forever')
    .option('-c, --comment <comment>', 'sets the comment')
    .option('--ug, --assign-usergroup <USERGROUP>', 'links user groups, repeatable', collect)
    .option('--unassign-usergroup <USERGROUP>', 'unlinks user groups, repeatable', collect)
    .option('--hg, --assign-hostgroup <HOSTGROUP>', 'links host groups, repeatable', collect)
    .option('--unassign-hostgroup <HOSTGROUP>', 'unlinks host groups, repeatable', collect);
  addPolicyOptions(cmd);
  act(cmd, ctx, ['admin'], async ({ args, opts }) => {
    const c = readChanges(opts);
    await change(ctx, async (m) => {
      const acls = await findAcls(m, args);
      for (const acl of acls) await applyChanges(m, acl, c);
      await audit(m, ctx, { domain: 'acl', action: 'update', entity: acls.map((a) => String(a.id)).join(', '), args: { ...c.fields, usergroups: c.userGroups, hostgroups: c.hostGroups } });
    });
  });
}
