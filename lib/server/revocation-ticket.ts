/**
 * A tracked connection as its owner holds it (a {@link LiveTicket}) and as the
 * revocation service keeps it (an {@link Entry}): the access granted to it is
 * what every later re-check compares against.
 */
import type { AccessDecision, AccessRequest } from '../acl/decide.js';
import { evaluateAcl, type AclDecision } from '../acl/evaluate.js';
import type { LiveLogin, LiveSubject } from '../acl/revalidate.js';
import type { Logger } from '../log.js';
import { hookKey, type HookAnswer } from './revocation-verdict.js';

/** A connection to track, as its owner describes it. */
export interface LiveConnectionInit {
  subject: LiveSubject;
  userName: string;
  remoteAddr: string;
  log: Logger;
  /** Ends the connection; `message` is shown to its open sessions. */
  end(message: string): void;
}

/** The owner's handle on a tracked connection. */
export interface LiveTicket {
  /** Records the host a host login was granted (after its first access check). */
  grantHost(host: { id: number; name: string }, sessionId: number, request: AccessRequest, decision: AccessDecision): void;
  /**
   * Records that a `join:ID` login (tracked as an admin shell) was let into
   * session `sessionId` on `host`: from now on its roles and its access to
   * that host are re-checked, as a relayed session's.
   */
  grantJoin(host: { id: number; name: string }, sessionId: number, request: AccessRequest, decision: AccessDecision): void;
  /** Re-checks access before a new channel; rejects with PermissionDeniedError (and ends the connection) once revoked. */
  check(): Promise<void>;
  /** Stops tracking (the connection closed). */
  release(): void;
}

export interface Entry extends LiveConnectionInit {
  host?: { name: string; sessionId: number };
  /** The hook's last answer for this connection, so the hook runs again only when its input changes. */
  hook?: HookAnswer;
}

/** What a {@link Ticket} asks of its {@link Revocation}. */
export interface TicketOps {
  check(e: Entry): Promise<void>;
  release(e: Entry): void;
  /** Whether `--acl-check-cmd` is set (its answers are kept per connection). */
  hooked(): boolean;
}

/** A tracked connection's ticket: methods, not closures per connection (a connection lives for hours, issue 13). */
export class Ticket implements LiveTicket {
  readonly #e: Entry;
  readonly #ops: TicketOps;

  constructor(e: Entry, ops: TicketOps) {
    this.#e = e;
    this.#ops = ops;
  }

  grantHost(host: { id: number; name: string }, sessionId: number, request: AccessRequest, decision: AccessDecision): void {
    this.#grant({ kind: 'host', hostId: host.id }, host.name, sessionId, request, decision);
  }

  grantJoin(host: { id: number; name: string }, sessionId: number, request: AccessRequest, decision: AccessDecision): void {
    const login = this.#e.subject.login;
    const roles = login.kind === 'host' ? [] : login.roles;
    this.#grant({ kind: 'join', roles, hostId: host.id }, host.name, sessionId, request, decision);
  }

  /** A new subject: the access checked for it (with the hook's answer) is what a later re-check compares against. */
  #grant(login: LiveLogin, hostName: string, sessionId: number, request: AccessRequest, decision: AccessDecision): void {
    const e = this.#e;
    e.subject = { ...e.subject, login };
    e.host = { name: hostName, sessionId };
    if (this.#ops.hooked()) e.hook = { key: hookKey(decisionByAcl(request), request), decision };
  }

  check(): Promise<void> { return this.#ops.check(this.#e); }

  release(): void { this.#ops.release(this.#e); }
}

/** The ACLs' own answer to `req` (without the hook). */
function decisionByAcl(req: AccessRequest): AclDecision {
  return evaluateAcl({
    acls: req.acls, userGroupIds: req.user.groups.map((g) => g.id), hostGroupIds: req.host.groups.map((g) => g.id), hostName: req.host.name, now: req.now,
  });
}
