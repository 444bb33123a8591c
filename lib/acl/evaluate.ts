/**
 * sshportal's ACL decision as a pure function: plain data in, plain data out,
 * no clock (the caller passes `now`).
 *
 * Rule: keep the ACLs linked to one of the user's groups, inside their
 * validity window (`inception` ≤ now < `expiration`, each optional), that
 * match the host: the host is in one of the ACL's host groups **or** the
 * ACL's non-empty pattern list (ssh_config globs, case-insensitive, `!`
 * negation) matches the host name — patterns grant, as sshportal intended.
 * None → deny. Otherwise sort by weight ascending, then `deny` before
 * `allow`, then lower id; the first ACL is decisive: its action wins and it
 * supplies the session policy.
 */
import { matchPatternList, parsePatternList } from './glob.js';
import { decisivePolicy, type DecisivePolicy, type PolicyOptions } from './policy.js';

/** An ACL action. */
export type AclAction = 'allow' | 'deny';

/** One ACL as plain data. */
export interface AclInput {
  id: number;
  action: AclAction;
  weight: number;
  inception?: Date | null;
  expiration?: Date | null;
  /** Pattern list on the host name; empty or absent = no host by name. */
  hostPattern?: string | null;
  /** What the ACL allows inside a session; absent = the defaults. */
  policy?: PolicyOptions;
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
  /** The decisive ACL's policy (the defaults when no ACL matched). */
  policy: DecisivePolicy;
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

function hostMatches(acl: AclInput, hostGroupIds: readonly number[], hostName: string): boolean {
  if (intersects(acl.hostGroupIds, hostGroupIds)) return true;
  return !!acl.hostPattern && matchPatternList(parsePatternList(acl.hostPattern), hostName);
}

/** The decisive order: weight ascending, then deny before allow, then lower id. */
function decisiveOrder(a: AclInput, b: AclInput): number {
  const rank = (x: AclInput): number => (x.action === 'deny' ? 0 : 1);
  return a.weight - b.weight || rank(a) - rank(b) || a.id - b.id;
}

/** Decides access of a user to a host from the ACLs (pure). */
export function evaluateAcl(q: AclQuery): AclDecision {
  const candidates = q.acls.filter(
    (acl) => intersects(acl.userGroupIds, q.userGroupIds) && inWindow(acl, q.now) && hostMatches(acl, q.hostGroupIds, q.hostName),
  );
  if (candidates.length === 0) return { action: 'deny', reason: 'no matching ACL', policy: decisivePolicy(null) };
  const first = [...candidates].sort(decisiveOrder)[0];
  return {
    action: first.action, aclId: first.id, reason: `ACL ${first.id} (weight ${first.weight}) says ${first.action}`,
    policy: decisivePolicy(first.id, first.policy),
  };
}
