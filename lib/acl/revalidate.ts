/**
 * Whether a live, already-authenticated connection may go on, given what the
 * database says now (pure: plain data in, plain data out, `now` passed in).
 * Revocation must reach open connections: a removed user, an unbound key, a
 * removed role or an ACL that no longer allows the host (of a relayed or a
 * joined session) ends them.
 */
import type { LiveFacts, LiveUser } from '../db/live-facts.js';
import { aclInputOf, type AccessRequest } from './decide.js';
import { evaluateAcl, type AclDecision, type AclInput } from './evaluate.js';

/** What a live connection was let in for. */
export type LiveLogin =
  /** The admin shell, with the role names the user held when it opened. */
  | { kind: 'shell'; roles: readonly string[] }
  /** A host login; `hostId` is null until its first channel passed the access check. */
  | { kind: 'host'; hostId: number | null }
  /**
   * A `join:ID` login once it was let in: the roles it held at login (as the
   * admin shell's) and the joined session's host, whose ACLs must still allow
   * the joiner, as for a host login to it.
   */
  | { kind: 'join'; roles: readonly string[]; hostId: number };

/** Who a live connection belongs to, as fixed at login. */
export interface LiveSubject {
  userId: number;
  /** Fingerprint of the key that authenticated the connection. */
  fingerprint: string;
  login: LiveLogin;
}

/** The outcome of one re-check. */
export type Revalidation =
  | { action: 'keep' }
  | { action: 'end'; reason: string }
  /** Identity still valid; the ACLs (and the optional hook) decide on `request`. */
  | { action: 'access'; request: AccessRequest; byAcl: AclDecision };

/** The ACL inputs of a facts' ACL list, made once per list (a sweep re-checks thousands of connections against one). */
const inputsOf = new WeakMap<LiveFacts['acls'], AclInput[]>();

function aclInputs(acls: LiveFacts['acls']): AclInput[] {
  let inputs = inputsOf.get(acls);
  if (!inputs) {
    inputs = acls.map(aclInputOf);
    inputsOf.set(acls, inputs);
  }
  return inputs;
}

/** The end of a connection whose login held `roles`, when `user` lost one of them; null when all are held. */
function rolesLost(roles: readonly string[], user: LiveUser): Revalidation | null {
  const lost = roles.filter((r) => !user.roles.includes(r));
  return lost.length === 0 ? null : { action: 'end', reason: `role ${lost.join(', ')} removed` };
}

/** Whether `user` may still reach host `hostId`: the same re-check for a relayed session and a joined one. */
function hostAccess(user: LiveUser, hostId: number, facts: LiveFacts, now: Date): Revalidation {
  const host = facts.hosts.get(hostId);
  if (!host) return { action: 'end', reason: 'host removed' };
  const acls = aclInputs(facts.acls);
  const request: AccessRequest = {
    user: { id: user.id, name: user.name, email: user.email, groups: user.groups }, host, acls, now,
  };
  const byAcl = evaluateAcl({
    acls, userGroupIds: user.groups.map((g) => g.id), hostGroupIds: host.groups.map((g) => g.id), hostName: host.name, now,
  });
  return { action: 'access', request, byAcl };
}

/** Re-checks one live connection against the current facts (pure). */
export function revalidate(s: LiveSubject, facts: LiveFacts, now: Date): Revalidation {
  const user = facts.users.get(s.userId);
  if (!user) return { action: 'end', reason: 'user removed' };
  if (facts.keyOwners.get(s.fingerprint) !== s.userId) return { action: 'end', reason: `key ${s.fingerprint} removed` };
  const login = s.login;
  switch (login.kind) {
    case 'shell':
      return rolesLost(login.roles, user) ?? { action: 'keep' };
    case 'host':
      return login.hostId === null ? { action: 'keep' } : hostAccess(user, login.hostId, facts, now);
    case 'join':
      return rolesLost(login.roles, user) ?? hostAccess(user, login.hostId, facts, now);
    default: {
      const never: never = login;
      return never;
    }
  }
}
