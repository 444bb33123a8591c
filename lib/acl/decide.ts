/**
 * The one entry point of access decisions: the ACLs (pure evaluation), then
 * the optional external hook, which may replace the action.
 */
import type { AclRow } from '../db/queries/acls.js';
import { evaluateAcl, type AclAction, type AclInput } from './evaluate.js';
import { runAclHook } from './hook.js';
import { decisivePolicy, type DecisivePolicy, type PolicyOptions } from './policy.js';

/** An ACL's stored session policy. */
export function aclPolicyOptions(a: Pick<AclRow, keyof PolicyOptions>): PolicyOptions {
  return {
    shell: a.shell, exec: a.exec, fileCopy: a.fileCopy, localForward: a.localForward, remoteForward: a.remoteForward,
    agentForward: a.agentForward, x11: a.x11,
  };
}

/** A stored ACL as the evaluator's plain input (an action other than `allow` denies). */
export function aclInputOf(a: AclRow): AclInput {
  return {
    id: a.id, action: a.action === 'allow' ? 'allow' : 'deny', weight: a.weight, inception: a.inception, expiration: a.expiration,
    hostPattern: a.hostPattern, policy: aclPolicyOptions(a), userGroupIds: a.userGroupIds, hostGroupIds: a.hostGroupIds,
  };
}

/** Who asks for which host, as plain data. */
export interface AccessRequest {
  user: { id: number; name: string; email: string; groups: { id: number; name: string }[] };
  host: { id: number; name: string; addr: string; user: string; groups: { id: number; name: string }[] };
  acls: AclInput[];
  now: Date;
}

/** A named row with its groups, as the user and host rows carry them (relations may be unloaded). */
interface Grouped { id: number; name: string; groups?: readonly { id: number; name: string }[] }

/** The groups of `row` as plain data (none when not loaded). */
export function groupsOf(row: Grouped): { id: number; name: string }[] {
  return (row.groups ?? []).map((g) => ({ id: g.id, name: g.name }));
}

/** The access request of `user` to `host` under `acls` (the ACLs of the user's groups) at `now`. Pure. */
export function accessRequestOf(user: Grouped & { email: string }, host: Grouped & { addr: string; user: string }, acls: readonly AclRow[], now: Date): AccessRequest {
  return {
    user: { id: user.id, name: user.name, email: user.email, groups: groupsOf(user) },
    host: { id: host.id, name: host.name, addr: host.addr, user: host.user, groups: groupsOf(host) },
    acls: acls.map(aclInputOf),
    now,
  };
}

/** The decision and how it was reached (for logs and events). */
export interface AccessDecision {
  action: AclAction;
  reason: string;
  /** The decisive ACL, if one decided (absent when none matched). */
  aclId?: number;
  /**
   * The session policy: the decisive ACL's. When the hook overturns the ACLs'
   * action, no ACL's action won: the defaults apply (today's behaviour).
   */
  policy: DecisivePolicy;
}

/** Decides access; `hookCommand` is `--acl-check-cmd` (null when unset). Never rejects. */
export async function decideAccess(req: AccessRequest, hookCommand: string | null): Promise<AccessDecision> {
  const byAcl = evaluateAcl({
    acls: req.acls, userGroupIds: req.user.groups.map((g) => g.id), hostGroupIds: req.host.groups.map((g) => g.id),
    hostName: req.host.name, now: req.now,
  });
  if (!hookCommand) return byAcl;
  const hook = await runAclHook({
    command: hookCommand, action: byAcl.action,
    user: { ID: req.user.id, Name: req.user.name, Email: req.user.email, Groups: req.user.groups.map((g) => ({ ID: g.id, Name: g.name })) },
    host: { ID: req.host.id, Name: req.host.name, Addr: req.host.addr, User: req.host.user, Groups: req.host.groups.map((g) => ({ ID: g.id, Name: g.name })) },
  });
  if (hook.source === 'hook') {
    const reason = `${byAcl.reason}; acl-check-cmd says ${hook.action}`;
    if (hook.action === byAcl.action) return { ...byAcl, reason };
    return { action: hook.action, reason, policy: decisivePolicy(null) };
  }
  return { ...byAcl, reason: `${byAcl.reason}; ${hook.detail ?? 'acl-check-cmd gave no answer'}` };
}
