import { In } from 'typeorm';
import { UserRole } from '../db/entities/user-role.js';
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
  const rows = await ctx.deps.db.manager
    .createQueryBuilder(UserRole, 'r')
    .innerJoin('user_user_roles', 'ur', 'ur.user_role_id = r.id')
    .where('ur.user_id = :id', { id: ctx.who.user.id })
    .andWhere({ name: In(['admin', ...access]) })
    .select(['r.name'])
    .getMany();
  if (!allowed(rows.map((r) => r.name), access)) throw new PermissionDeniedError();
}
