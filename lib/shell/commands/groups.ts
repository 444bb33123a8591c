import type { Command } from 'commander';
import type { Tx } from '../../db/database.js';
import { hostGroupJson, userGroupJson, type JsonOptions } from '../../db/json/go-json.js';
import type { HostGroup, UserGroup } from '../../db/entities/index.js';
import {
  assertGroupNameFree, createGroup, findGroups, listGroups, removeGroups, type GroupKind, type GroupWithCounts,
} from '../../db/queries/groups.js';
import { saveRow } from '../../db/queries/common.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ShellContext } from '../context.js';
import { randomName } from '../names.js';
import { checkComment, checkName } from '../parse/values.js';
import { humanizeTime } from '../render/humanize.js';
import { act, audit, change, defineInspect, defineLs, defineRm, withIds } from './common.js';

/** What differs between `hostgroup` and `usergroup`. */
export interface GroupCommandSpec<T extends HostGroup | UserGroup> {
  command: string;
  kind: GroupKind<T>;
  description: string;
  argName: string;
  membersColumn: string;
  toJson(g: T, o: JsonOptions): unknown;
  /** Called after a group is created (a new user group gets its creator as member). */
  afterCreate?(m: Tx, ctx: ShellContext, group: T): Promise<void>;
}

function defineCreate<T extends HostGroup | UserGroup>(parent: Command, ctx: ShellContext, spec: GroupCommandSpec<T>): void {
  const cmd = parent.command('create').description(`creates a new ${spec.kind.what}`)
    .option('-n, --name <name>', `name of the ${spec.kind.what} (random when not given)`)
    .option('-c, --comment <comment>', 'adds a comment');
  act(cmd, ctx, ['admin'], async ({ opts }) => {
    const name = checkName(opts.string('name') ?? randomName(), spec.kind.what);
    const comment = checkComment(opts.string('comment') ?? '');
    const group = await change(ctx, async (m) => {
      const g = await createGroup(m, spec.kind, { name, comment });
      await spec.afterCreate?.(m, ctx, g);
      await audit(m, ctx, { domain: spec.command, action: 'create', entity: name, args: { name, comment } });
      return g;
    });
    ctx.out(`${group.id}\n`);
  });
}

function defineUpdate<T extends HostGroup | UserGroup>(parent: Command, ctx: ShellContext, spec: GroupCommandSpec<T>): void {
  const cmd = withIds(parent, 'update', spec.argName, `updates ${spec.kind.what}s`)
    .option('-n, --name <name>', `renames the ${spec.kind.what}`)
    .option('-c, --comment <comment>', 'sets the comment');
  act(cmd, ctx, ['admin'], async ({ args, opts }) => {
    const name = opts.string('name');
    const comment = opts.string('comment');
    if (name !== undefined) checkName(name, spec.kind.what);
    if (comment !== undefined) checkComment(comment);
    await change(ctx, async (m) => {
      const groups = await findGroups(m, spec.kind, args);
      if (name !== undefined && groups.length > 1) throw new InvalidArgumentError(`cannot set --name when updating several ${spec.kind.what}s at once`);
      for (const g of groups) {
        if (name !== undefined) {
          await assertGroupNameFree(m, spec.kind, name, g.id);
          g.name = name;
        }
        if (comment !== undefined) g.comment = comment;
        await saveRow(m, g);
      }
      await audit(m, ctx, { domain: spec.command, action: 'update', entity: groups.map((g) => g.name).join(', '), args: { name, comment } });
    });
  });
}

/** Registers `hostgroup`/`usergroup` with create, inspect, ls, rm and update. */
export function registerGroupCommand<T extends HostGroup | UserGroup>(root: Command, ctx: ShellContext, spec: GroupCommandSpec<T>): void {
  const parent = root.command(spec.command).description(spec.description);
  defineCreate(parent, ctx, spec);
  defineInspect<T>(parent, ctx, { argName: spec.argName, noun: `${spec.kind.what}s`, find: (m, ids) => findGroups(m, spec.kind, ids, true), json: (g, o) => spec.toJson(g, o) });
  defineLs<GroupWithCounts<T>>(parent, ctx, ['admin'], {
    columns: ['ID', 'Name', spec.membersColumn, 'ACLs', 'Updated', 'Created', 'Comment'],
    noun: `${spec.kind.what}s`,
    fetch: (m, latest) => listGroups(m, spec.kind, latest),
    row: (g, now) => [String(g.id), g.name, String(g.memberCount), String(g.aclCount), humanizeTime(g.updatedAt, now), humanizeTime(g.createdAt, now), g.comment],
  });
  defineRm<T>(parent, ctx, {
    argName: spec.argName, noun: `${spec.kind.what}s`, domain: spec.command, label: (g) => g.name,
    find: (m, ids) => findGroups(m, spec.kind, ids), remove: (m, groups) => removeGroups(m, spec.kind, groups),
  });
  defineUpdate(parent, ctx, spec);
}

/** JSON of a host group for `inspect`. */
export const hostGroupInspect = (g: HostGroup, o: JsonOptions): unknown => hostGroupJson(g, o);
/** JSON of a user group for `inspect`. */
export const userGroupInspect = (g: UserGroup, o: JsonOptions): unknown => userGroupJson(g, o);
