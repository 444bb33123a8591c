import type { Command } from 'commander';
import { aclJson } from '../../db/json/go-json.js';
import { Acl } from '../../db/entities/index.js';
import { findAcls, listAcls, type AclListRow } from '../../db/queries/acls.js';
import { deleteRows, insertRow } from '../../db/queries/common.js';
import { findGroups, hostGroupKind, userGroupKind } from '../../db/queries/groups.js';
import type { ShellContext } from '../context.js';
import { checkComment, parseAction, parseDateTime, parseWeight } from '../parse/values.js';
import { checkAclShape, checkPattern, formatWindowDate } from '../parse/acl-rules.js';
import { humanizeTime } from '../render/humanize.js';
import { act, audit, change, collect, defineInspect, defineLs, defineRm } from './common.js';
import { defineAclUpdate } from './acl-update.js';
import { addPolicyOptions, defineAclCheck, policySummary, readPolicyOptions } from './acl-policy.js';
import { aclPolicyOptions } from '../../acl/decide.js';
import { POLICY_DEFAULTS } from '../../acl/policy.js';

function defineCreate(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('create').description('creates a new ACL')
    .option('--hg, --hostgroup <HOSTGROUP>', 'host groups of the ACL, repeatable', collect)
    .option('--ug, --usergroup <USERGROUP>', 'user groups of the ACL, repeatable', collect)
    .option('-p, --pattern <globs>', "host name patterns, comma-separated ssh_config globs (e.g. 'web-*,!web-old'); grant like a host group")
    .option('-c, --comment <comment>', 'adds a comment')
    .option('-a, --action <action>', 'allow or deny', 'allow')
    .option('-w, --weight <N>', 'priority: the lowest weight wins', '0')
    .option('-i, --inception <date>', "valid from ('YYYY-MM-DD HH:MM' UTC, or ISO 8601)")
    .option('-e, --expiration <date>', "valid until ('YYYY-MM-DD HH:MM' UTC, or ISO 8601)");
  addPolicyOptions(cmd);
  act(cmd, ctx, ['admin'], async ({ opts }) => {
    const inception = opts.string('inception');
    const expiration = opts.string('expiration');
    const values = {
      action: parseAction(opts.string('action') ?? 'allow'), weight: parseWeight(opts.string('weight') ?? '0'),
      hostPattern: checkPattern(opts.string('pattern') ?? ''), comment: checkComment(opts.string('comment') ?? ''),
      inception: inception === undefined ? null : parseDateTime(inception), expiration: expiration === undefined ? null : parseDateTime(expiration),
      ...POLICY_DEFAULTS, ...readPolicyOptions(opts),
    };
    const acl = await change(ctx, async (m) => {
      const userGroups = await findGroups(m, userGroupKind, opts.list('usergroup'));
      const hostGroups = await findGroups(m, hostGroupKind, opts.list('hostgroup'));
      checkAclShape({ ...values, userGroups: userGroups.length, hostGroups: hostGroups.length });
      const a = await insertRow(m, Acl, { ...values, userGroups, hostGroups });
      await audit(m, ctx, { domain: 'acl', action: 'create', entity: String(a.id), args: { ...values, usergroups: userGroups.map((g) => g.name), hostgroups: hostGroups.map((g) => g.name) } });
      return a;
    });
    ctx.out(`${acl.id}\n`);
  });
}

function aclRow(a: AclListRow, now: Date): string[] {
  return [
    String(a.id), String(a.weight), a.userGroupNames.join(', '), a.hostGroupNames.join(', '), a.hostPattern, a.action, policySummary(aclPolicyOptions(a)),
    formatWindowDate(a.inception), formatWindowDate(a.expiration), humanizeTime(a.updatedAt, now), humanizeTime(a.createdAt, now), a.comment,
  ];
}

/** Registers `acl`: manages access rules between user groups and host groups. */
export function registerAcl(root: Command, ctx: ShellContext): void {
  const parent = root.command('acl').description('manages ACLs');
  defineCreate(parent, ctx);
  defineInspect(parent, ctx, { argName: 'ACL', noun: 'ACLs', find: (m, ids) => findAcls(m, ids, true), json: aclJson });
  defineLs<AclListRow>(parent, ctx, ['admin'], {
    columns: ['ID', 'Weight', 'User groups', 'Host groups', 'Host pattern', 'Action', 'Policy', 'Inception', 'Expiration', 'Updated', 'Created', 'Comment'],
    noun: 'ACLs',
    fetch: listAcls,
    row: aclRow,
  });
  defineRm(parent, ctx, {
    argName: 'ACL', noun: 'ACLs', domain: 'acl', find: findAcls, label: (a) => String(a.id),
    remove: (m, acls) => deleteRows(m, Acl, acls.map((a) => a.id)),
  });
  defineAclUpdate(parent, ctx);
  defineAclCheck(parent, ctx);
}
