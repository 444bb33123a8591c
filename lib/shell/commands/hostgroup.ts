import type { Command } from 'commander';
import { hostGroupKind } from '../../db/queries/groups.js';
import type { ShellContext } from '../context.js';
import { hostGroupInspect, registerGroupCommand } from './groups.js';

/** Registers `hostgroup`: manages host groups. */
export function registerHostGroup(root: Command, ctx: ShellContext): void {
  registerGroupCommand(root, ctx, {
    command: 'hostgroup', kind: hostGroupKind, description: 'manages host groups', argName: 'HOSTGROUP',
    membersColumn: 'Hosts', toJson: hostGroupInspect,
  });
}
