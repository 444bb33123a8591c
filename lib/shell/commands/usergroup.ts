import type { Command } from 'commander';
import { addUserToGroup, userGroupKind } from '../../db/queries/groups.js';
import type { ShellContext } from '../context.js';
import { registerGroupCommand, userGroupInspect } from './groups.js';

/** Registers `usergroup`: manages user groups; the creator joins a group they create (as in sshportal). */
export function registerUserGroup(root: Command, ctx: ShellContext): void {
  registerGroupCommand(root, ctx, {
    command: 'usergroup', kind: userGroupKind, description: 'manages user groups', argName: 'USERGROUP',
    membersColumn: 'Users', toJson: userGroupInspect,
    afterCreate: (m, c, group) => addUserToGroup(m, c.who.user.id, group.id),
  });
}
