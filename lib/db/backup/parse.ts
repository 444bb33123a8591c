import { array, base64, count, date, id, ids, invalid, object, objects, string, textColumn, type Reader } from './narrow.js';
import type { AclPolicyColumns, AclRow, BackupChecks, BackupPlan, EventRow, GroupRow, HostRow, KeyRow, RoleRow, SessionRow, SettingRow, Stamped, UserKeyRow, UserRow } from './plan.js';
import { resolveLinks, type RawLinks } from './links.js';
import { readTunnelKeys } from './tunnels.js';
import { readAudit, readChainFields, readSeals } from './audit.js';
import { commandsText } from '../session-commands.js';
import { readArgs } from './event-args.js';
import { isRecordingMode } from '../../recording-mode.js';
import { quoted } from '../../errors.js';

const statuses = new Set(['active', 'closed', 'unknown']);

function stamped(r: Reader, now: Date): Stamped {
  const createdAt = date(r, 'CreatedAt') ?? now;
  return { id: id(r), createdAt, updatedAt: date(r, 'UpdatedAt') ?? createdAt };
}

/** Reads a collection, skipping rows gorm had soft-deleted (DeletedAt set): they are not live data. */
function rows<T>(doc: Reader, key: string, warnings: string[], read: (r: Reader) => T): T[] {
  const out: T[] = [];
  for (const r of objects(doc, key)) {
    if (date(r, 'DeletedAt') !== null) warnings.push(`skipped deleted entry ${r.path} (ID ${typeof r.value.ID === 'number' ? r.value.ID : quoted(String(r.value.ID))})`);
    else out.push(read(r));
  }
  return out;
}

function named(r: Reader, what: string): string {
  const name = string(r, 'Name');
  // C1 controls too: `\u009b` starts an escape sequence on a terminal that `host ls` writes to.
  if (name === '' || name.length > 255 || /[\u0000-\u001f\u007f-\u009f]/.test(name)) throw invalid(`${r.path}.Name`, `invalid ${what} name ${quoted(name)}`);
  return name;
}

/** The longest comment the portal keeps (its columns' width; the shell's rule). */
const maxCommentChars = 1024;

/** A row's Comment, at most {@link maxCommentChars} (past it MariaDB refused the row as an internal error). */
function comment(r: Reader): string {
  const c = string(r, 'Comment');
  if (c.length > maxCommentChars) throw invalid(`${r.path}.Comment`, `longer than ${maxCommentChars} characters`);
  return c;
}

function readKey(r: Reader, now: Date): KeyRow {
  return {
    ...stamped(r, now), name: named(r, 'key'), type: string(r, 'Type'), length: count(r, 'Length'), fingerprint: string(r, 'Fingerprint'),
    privKey: string(r, 'PrivKey'), pubKey: string(r, 'PubKey'), comment: comment(r),
  };
}

/** The pinned target key: base64 of the wire format (Go's []byte), or the `type base64` form. */
function hostKeyOf(r: Reader): string | null {
  const v = string(r, 'HostKey');
  if (/^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}$/.test(v)) return v;
  return base64(r, 'HostKey');
}

function readHost(r: Reader, now: Date): HostRow {
  // Go's sshportal wrote an empty mode for hosts created before the field existed: that is its default.
  const logging = string(r, 'Logging') || 'everything';
  if (!isRecordingMode(logging)) throw invalid(`${r.path}.Logging`, `invalid logging mode ${quoted(logging)}`);
  const sshKeyId = count(r, 'SSHKeyID');
  const hopId = count(r, 'HopID');
  return {
    ...stamped(r, now), name: named(r, 'host'), addr: string(r, 'Addr'), user: string(r, 'User'), password: string(r, 'Password') || null,
    url: string(r, 'URL'), sshKeyId: sshKeyId || null, hostKey: hostKeyOf(r), comment: comment(r), logging, hopId: hopId || null,
  };
}

function readGroup(r: Reader, now: Date, what: string): GroupRow {
  return { ...stamped(r, now), name: named(r, what), comment: comment(r) };
}

function readUser(r: Reader, now: Date): UserRow {
  return {
    ...stamped(r, now), email: string(r, 'Email'), name: named(r, 'user'), comment: comment(r),
    inviteToken: string(r, 'InviteToken'), inviteExpiresAt: date(r, 'InviteExpiresAt'),
  };
}

function readUserKey(r: Reader, now: Date): UserKeyRow {
  const authorizedKey = string(r, 'AuthorizedKey').trim();
  const key = base64(r, 'Key') ?? '';
  if (authorizedKey === '' && key === '') throw invalid(r.path, 'a user key needs Key or AuthorizedKey');
  return { ...stamped(r, now), key, fingerprint: '', authorizedKey, userId: count(r, 'UserID'), comment: comment(r) };
}

/** The backup's field of a policy column (`localForward` → `LocalForward`). */
function policyField(key: string): string {
  return `${key.charAt(0).toUpperCase()}${key.slice(1)}`;
}

/** The ACL's session policy; sshportal's backups have none: the defaults (today's behaviour). */
function readPolicy(r: Reader, checks: BackupChecks): AclPolicyColumns {
  const out: AclPolicyColumns = { ...checks.policyDefaults };
  for (const [key, flag] of checks.policyFlags) {
    const field = policyField(key);
    const value = string(r, field, checks.policyDefaults[key]);
    try {
      out[key] = checks.policyValue(key, flag, value);
    } catch (err) {
      throw invalid(`${r.path}.${field}`, err instanceof Error ? err.message : String(err));
    }
  }
  return out;
}

/**
 * Whether an ACL row was written without this portal's policy columns: by the
 * Go sshportal (whose access check ignored HostPattern) or by a version of
 * this portal from before patterns granted (they narrowed the host groups).
 */
function writtenBeforePatternsGranted(r: Reader, checks: BackupChecks): boolean {
  return checks.policyFlags.every(([key]) => r.value[policyField(key)] === undefined);
}

function readAcl(r: Reader, now: Date, checks: BackupChecks, warnings: string[]): AclRow {
  const action = string(r, 'Action');
  if (action !== 'allow' && action !== 'deny') throw invalid(`${r.path}.Action`, `invalid action ${quoted(action)}`);
  const base = stamped(r, now);
  const old = writtenBeforePatternsGranted(r, checks);
  // Held to the shell's rule: a megabyte pattern cost 464 ms at every access check.
  let pattern: string;
  try {
    pattern = checks.hostPattern(string(r, 'HostPattern'));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (!old) throw invalid(`${r.path}.HostPattern`, why);
    // The Go sshportal never used patterns: one this portal cannot read is dropped, not the whole backup.
    warnings.push(`acl ${base.id}: its HostPattern is dropped: ${why}`);
    pattern = '';
  }
  const row: AclRow = {
    ...base, hostPattern: pattern, action, weight: count(r, 'Weight'), comment: comment(r),
    inception: date(r, 'Inception'), expiration: date(r, 'Expiration'), ...readPolicy(r, checks),
  };
  if (row.hostPattern !== '' && old) {
    warnings.push(`acl ${row.id}: its HostPattern ${quoted(row.hostPattern)} now ${row.action === 'allow' ? 'grants' : 'denies'} its user groups every host it matches; ` +
      'where this backup was written, patterns were ignored or only narrowed the host groups (check it with `acl ls`; see "Upgrade notes" in the README)');
  }
  return row;
}

function readSession(r: Reader, now: Date): SessionRow {
  const status = string(r, 'Status') || 'unknown';
  if (!statuses.has(status)) throw invalid(`${r.path}.Status`, `invalid status ${quoted(status)}`);
  const recordings = array(r, 'Recordings').items.filter((x): x is string => typeof x === 'string');
  const commands = array(r, 'Commands').items.filter((x): x is string => typeof x === 'string');
  return {
    ...stamped(r, now), stoppedAt: date(r, 'StoppedAt'), status, userId: count(r, 'UserID') || null, hostId: count(r, 'HostID') || null,
    errMsg: string(r, 'ErrMsg') || null, comment: comment(r), node: string(r, 'Node'), remoteAddr: string(r, 'RemoteAddr'),
    recordings: recordings.length > 0 ? textColumn(`${r.path}.Recordings`, JSON.stringify(recordings)) : null,
    commands: commandsText(commands), seals: readSeals(r),
  };
}

function readEvent(r: Reader, now: Date): EventRow {
  const domain = string(r, 'Domain');
  const action = string(r, 'Action');
  if (domain === '' || action === '') throw invalid(r.path, 'an event needs Domain and Action');
  return { ...stamped(r, now), authorId: count(r, 'AuthorID') || null, domain, action, entity: string(r, 'Entity'), args: readArgs(r), ...readChainFields(r) };
}

/** Roles only exist nested in users in sshportal's backups; collect them once each. */
function readRoles(users: Reader[], now: Date): RoleRow[] {
  const byId = new Map<number, RoleRow>();
  for (const u of users) {
    for (const r of objects(u, 'Roles')) {
      const role = { ...stamped(r, now), name: named(r, 'role') };
      const seen = byId.get(role.id);
      if (seen && seen.name !== role.name) throw invalid(r.path, `role ${role.id} has two names`);
      byId.set(role.id, seen ?? role);
    }
  }
  return [...byId.values()];
}

function rawLinks(doc: Reader): RawLinks {
  const pairs = (key: string, rel: string, flip = false): [number, number][] =>
    objects(doc, key).flatMap((r) => ids(r, rel).map((other): [number, number] => (flip ? [other, id(r)] : [id(r), other])));
  return {
    hostGroups: [...pairs('hosts', 'Groups'), ...pairs('host_groups', 'Hosts', true)],
    userRoles: pairs('users', 'Roles'),
    userGroups: [...pairs('users', 'Groups'), ...pairs('user_groups', 'Users', true)],
    userGroupAcls: [...pairs('user_groups', 'ACLs'), ...pairs('acls', 'UserGroups', true)],
    hostGroupAcls: [...pairs('host_groups', 'ACLs'), ...pairs('acls', 'HostGroups', true)],
  };
}

/**
 * Validates a backup document (ours or the Go sshportal's) without touching
 * anything: shapes, values, unique names and ids, references. Pure; `now`
 * stands in for missing dates; `checks` validates what lib/db does not own.
 * Throws InvalidArgumentError saying where.
 */
export function parseBackup(input: unknown, now: Date, checks: BackupChecks): BackupPlan {
  const doc = object(input, 'backup');
  const warnings: string[] = [];
  const usersRaw = objects(doc, 'users');
  const plan: BackupPlan = {
    date: date(doc, 'date'),
    keys: rows(doc, 'keys', warnings, (r) => readKey(r, now)),
    hosts: rows(doc, 'hosts', warnings, (r) => readHost(r, now)),
    hostGroups: rows(doc, 'host_groups', warnings, (r) => readGroup(r, now, 'host group')),
    userGroups: rows(doc, 'user_groups', warnings, (r) => readGroup(r, now, 'user group')),
    roles: readRoles(usersRaw, now),
    users: rows(doc, 'users', warnings, (r) => readUser(r, now)),
    userKeys: rows(doc, 'user_keys', warnings, (r) => readUserKey(r, now)),
    acls: rows(doc, 'acls', warnings, (r) => readAcl(r, now, checks, warnings)),
    settings: rows(doc, 'settings', warnings, (r): SettingRow => ({ ...stamped(r, now), name: named(r, 'setting'), value: string(r, 'Value') })),
    sessions: rows(doc, 'sessions', warnings, (r) => readSession(r, now)),
    events: doc.value.events === null || doc.value.events === undefined ? null : rows(doc, 'events', warnings, (r) => readEvent(r, now)),
    ...readAudit(doc),
    tunnelKeys: [],
    links: { hostGroups: [], userRoles: [], userGroups: [], userGroupAcls: [], hostGroupAcls: [] },
    warnings,
  };
  plan.tunnelKeys = readTunnelKeys(doc, new Set(plan.hosts.map((h) => h.id)), warnings, now);
  return resolveLinks(plan, rawLinks(doc));
}
