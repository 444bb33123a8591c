import { userRoleNames } from '../db/queries/users.js';
import { PermissionDeniedError } from '../errors.js';
import type { ShellContext } from './context.js';

/** Roles of sshportal: `admin` may do everything; `listhosts` may list hosts. */
export type RoleName = 'admin' | 'listhosts';

/** Who may run a command: anyone with an account, or holders of one of the roles (admin always). */
export type Access = 'anyone' | readonly RoleName[];

/** Whether a user holding `roles` may run a command needing `access`. Pure. */
export function allowed(roles: readonly string[], access: Access): boolean {
  if (access === 'anyone') return true;
  return roles.includes('admin') || access.some((r) => roles.includes(r));
}

/**
 * The one role guard of the admin shell. Roles are read again from the database
 * for every command, so a role taken away applies at once to open sessions.
 */
export async function requireAccess(ctx: ShellContext, access: Access): Promise<void> {
  if (access === 'anyone') return;
  const roles = await userRoleNames(ctx.deps.db.manager, ctx.who.user.id, ['admin', ...access]);
  if (!allowed(roles, access)) throw new PermissionDeniedError();
}
