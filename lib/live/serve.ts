/**
 * The viewer logins, `watch:ID` and `join:ID`: an admin's terminal shows a
 * live PTY session's current screen, then its live output. A watcher's
 * keystrokes never reach the session (`q` or Ctrl-C leaves); a joiner's reach
 * it as if the owner typed them (OpenSSH's `~.` leaves). Leaving never ends
 * the owner's session. The connection serving the login re-checks its access
 * (lib/server/revocation.ts): once revoked, the viewer stops at once.
 */
import type { ServerChannel } from 'ssh2';
import { accessRequestOf, decideAccess, groupsOf, type AccessDecision, type AccessRequest } from '../acl/decide.js';
import type { AttachMode } from '../cluster/index.js';
import { aclsOfUserGroups } from '../db/queries/acls.js';
import type { Database } from '../db/database.js';
import { Session } from '../db/entities/index.js';
import type { User } from '../db/entities/user.js';
import { recordEvent } from '../db/events.js';
import { userRoleNames } from '../db/queries/users.js';
import { AppError, NotFoundError, PermissionDeniedError, userMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Attachment } from './hub.js';
import type { LiveService } from './service.js';
import { parseSessionId } from './words.js';

/** What a viewer login needs. */
export interface ViewerDeps {
  db: Database;
  service: LiveService;
  aclCheckCmd: string | null;
  now: () => Date;
}

/** One viewer login's session channel. */
export interface ViewerSession {
  channel: ServerChannel;
  /** The viewer's terminal; null without one (refused). */
  pty: { cols: number; rows: number } | null;
  user: User;
  remoteAddr: string;
  log: Logger;
  /** The connection's re-check of this login's access (lib/server/revocation.ts). */
  guard: ViewerGuard;
}

/** A join that was let in: the host its access was checked against, and that check. */
export interface JoinGrant {
  host: { id: number; name: string };
  sessionId: number;
  request: AccessRequest;
  decision: AccessDecision;
}

/** What the connection serving a viewer login hears of it, and tells it. */
export interface ViewerGuard {
  /** A join was let in: from now on the connection re-checks the joiner's access to that host too. */
  joined(grant: JoinGrant): void;
  /** Settles once the connection's access was revoked (the connection then tells why and ends the channel). */
  readonly revoked: Promise<void>;
}

/** Resets what a watched program may have changed on the viewer's terminal. */
const restoreTerminal = '\x1b[0m\x1b[?25h\x1b[?1049l\r\n';

/** Keys that make a watcher leave: q, Q, Ctrl-C. */
const leaveKeys = new Set([0x71, 0x51, 0x03]);

function audit(deps: ViewerDeps, v: ViewerSession, action: string, entity: string, args: Record<string, unknown>): Promise<void> {
  return recordEvent(deps.db.manager, { authorId: v.user.id, domain: 'session', action, entity, args: { ...args, remote_addr: v.remoteAddr } })
    .catch((err: unknown) => v.log.warn('cannot write event', { err, action }));
}

/** Checks the viewer may attach to session `id`; returns the row (and a join's grant), throws an AppError to refuse. */
async function authorize(deps: ViewerDeps, v: ViewerSession, mode: AttachMode, id: number): Promise<{ row: Session; join: JoinGrant | null }> {
  const m = deps.db.manager;
  const roles = await userRoleNames(m, v.user.id, ['admin']);
  if (!roles.includes('admin')) throw new PermissionDeniedError(`${mode === 'watch' ? 'watching' : 'joining'} a session needs the admin role`);
  const row = await m.findOne(Session, { where: { id }, relations: { host: { groups: true } } });
  if (!row) throw new NotFoundError(`session ${id} not found`);
  if (row.status !== 'active') throw new NotFoundError(`session ${id} is not active (${row.status})`);
  if (mode === 'watch') return { row, join: null };
  const host = row.host;
  if (!host) throw new PermissionDeniedError(`session ${id} has no host left to check your access against`);
  const request = accessRequestOf(v.user, host, await aclsOfUserGroups(m, groupsOf(v.user).map((g) => g.id)), deps.now());
  const decision = await decideAccess(request, deps.aclCheckCmd);
  if (decision.action !== 'allow') throw new PermissionDeniedError(`joining session ${id} needs an ACL allowing you to host '${host.name}'`);
  return { row, join: { host: { id: host.id, name: host.name }, sessionId: id, request, decision } };
}

/** Runs until the viewer leaves, the session ends or access is revoked; resolves with what to tell the viewer (null: revoked). */
function follow(ch: ServerChannel, mode: AttachMode, att: Attachment, revoked: Promise<void>): Promise<string | null> {
  return new Promise((resolve) => {
    const done = (line: string | null): void => {
      ch.off('data', onData);
      att.leave();
      resolve(line);
    };
    const onData = (d: Buffer): void => {
      if (mode === 'join') return att.input(d);
      if (d.some((b) => leaveKeys.has(b))) done('left the session');
    };
    ch.on('data', onData);
    ch.once('close', () => done(''));
    void att.ended.then(() => done('the session ended'));
    // Keys typed after the revocation no longer reach the session, even before the channel closes.
    void revoked.then(() => done(null));
  });
}

/** Serves a `watch:ID` / `join:ID` login's session channel; resolves with its exit status. */
export async function serveViewer(deps: ViewerDeps, v: ViewerSession, mode: AttachMode, sessionText: string): Promise<number> {
  const line = (text: string): void => { v.channel.stderr.write(`${text}\r\n`); };
  const id = parseSessionId(sessionText);
  if (id === null) { line(`error: invalid session id '${sessionText.slice(0, 40)}'`); return 1; }
  if (!v.pty) { line(`error: ${mode} needs a terminal: use ssh -t ${mode}:${id}@<portal>`); return 1; }
  const guard = v.guard;
  let row: Session;
  let att: Attachment;
  try {
    const granted = await authorize(deps, v, mode, id);
    row = granted.row;
    // Before attaching: a revocation from here on ends the join.
    if (granted.join) guard.joined(granted.join);
    att = await deps.service.attach(row, { mode, viewer: v.user.name, cols: v.pty.cols, rows: v.pty.rows }, v.channel);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    await audit(deps, v, 'deny', `${mode}:${id}`, { reason: userMessage(err), session_id: id });
    v.log.info('viewer refused', { mode, session: id, reason: err.message });
    line(`error: ${err.message}`);
    return 1;
  }
  const host = row.host?.name ?? `${id}`;
  v.log.info('viewer attached', { mode, session: id, node: row.node });
  await audit(deps, v, `${mode}-start`, host, { session_id: id, node: row.node });
  const bye = await follow(v.channel, mode, att, guard.revoked);
  await audit(deps, v, `${mode}-stop`, host, { session_id: id, node: row.node });
  // Revoked: the connection writes why and ends the channel; the status is the same either way.
  if (bye === null) return 255;
  // Leave the viewer's terminal usable: attributes, cursor, the normal screen (a full-screen program may have switched).
  if (bye) { v.channel.write(restoreTerminal); line(bye); }
  return 0;
}
