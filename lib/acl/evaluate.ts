/**
 * sshportal's ACL decision as a pure function: plain data in, plain data out,
 * no clock (the caller passes `now`).
 *
 * Rule (spec "ACL decision"): keep the ACLs linked both to one of the user's
 * groups and to one of the host's groups, inside their validity window
 * (`inception` ≤ now < `expiration`, each optional) and — our addition —
 * whose non-empty `hostPattern` glob matches the host name. None → deny.
 * Otherwise sort by weight ascending (ties: lower id first, so the result is
 * deterministic) and the first ACL's action wins.
 */
import { globMatch } from './glob.js';

/** An ACL action. */
export type AclAction = 'allow' | 'deny';

/** One ACL as plain data. */
export interface AclInput {
  id: number;
  action: AclAction;
  weight: number;
  inception?: Date | null;
  expiration?: Date | null;
  /** Glob on the host name; empty or absent = every host. */
  hostPattern?: string | null;
  userGroupIds: readonly number[];
  hostGroupIds: readonly number[];
}

/** Input of {@link evaluateAcl}. */
export interface AclQuery {
  acls: readonly AclInput[];
  userGroupIds: readonly number[];
  hostGroupIds: readonly number[];
  hostName: string;
  now: Date;
}

/** Outcome of {@link evaluateAcl}. */
export interface AclDecision {
  action: AclAction;
  /** The ACL that decided; absent when no ACL matched. */
  aclId?: number;
  /** A short human-readable explanation (for logs and events, not secrets). */
  reason: string;
}

function intersects(a: readonly number[], b: readonly number[]): boolean {
  const set = new Set(a);
  return b.some((x) => set.has(x));
}

function inWindow(acl: AclInput, now: Date): boolean {
  const t = now.getTime();
  if (acl.inception && acl.inception.getTime() > t) return false;
  if (acl.expiration && acl.expiration.getTime() <= t) return false;
  return true;
}

function patternMatches(acl: AclInput, hostName: string): boolean {
  return !acl.hostPattern || globMatch(acl.hostPattern, hostName);
}

/** Decides access of a user to a host from the ACLs (pure). */
export function evaluateAcl(q: AclQuery): AclDecision {
  const candidates = q.acls.filter(
    (acl) =>
      intersects(acl.userGroupIds, q.userGroupIds) &&
      intersects(acl.hostGroupIds, q.hostGroupIds) &&
      inWindow(acl, q.now) &&
      patternMatches(acl, q.hostName),
  );
  if (candidates.length === 0) return { action: 'deny', reason: 'no matching ACL' };
  const sorted = [...candidates].sort((a, b) => a.weight - b.weight || a.id - b.id);
  const first = sorted[0] as AclInput;
  return { action: first.action, aclId: first.id, reason: `ACL ${first.id} (weight ${first.weight}) says ${first.action}` };
}
