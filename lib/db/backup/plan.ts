import type { Acl } from '../entities/index.js';
/** Rows of a validated backup, in our schema's terms, ready to be written (ids kept). */
import type { RecordingMode } from '../../recording-mode.js';

/** Dates every row keeps across a restore. */
export interface Stamped {
  id: number;
  createdAt: Date;
  updatedAt: Date;
}

/** An ssh key. */
export interface KeyRow extends Stamped { name: string; type: string; length: number; fingerprint: string; privKey: string; pubKey: string; comment: string }
/** A host; `password` as given (clear or encrypted), normalized when prepared. */
export interface HostRow extends Stamped {
  name: string; addr: string; user: string; password: string | null; url: string; sshKeyId: number | null;
  hostKey: string | null; comment: string; logging: RecordingMode; hopId: number | null;
}
/** A host group or user group. */
export interface GroupRow extends Stamped { name: string; comment: string }
/** A role. */
export interface RoleRow extends Stamped { name: string }
/** A user; `inviteToken` is a hash once prepared. */
export interface UserRow extends Stamped { email: string; name: string; comment: string; inviteToken: string; inviteExpiresAt: Date | null }
/** A user key; `fingerprint` is computed when prepared. */
export interface UserKeyRow extends Stamped { key: string; fingerprint: string; authorizedKey: string; userId: number; comment: string }
/** An ACL's session-policy columns (their meaning is lib/acl/policy.ts's). */
export type AclPolicyColumns = Pick<Acl, 'shell' | 'exec' | 'fileCopy' | 'localForward' | 'remoteForward' | 'agentForward' | 'x11'>;

/**
 * The checks backup validation borrows from feature folders, passed in by the
 * caller (lib/shell's backupChecks), so that lib/db imports neither lib/acl
 * nor lib/routing.
 */
export interface BackupChecks {
  /** Every policy column with the option flag naming it in errors. */
  policyFlags: ReadonlyArray<readonly [keyof AclPolicyColumns, string]>;
  /** The value of each policy column when a backup has none (sshportal's backups). */
  policyDefaults: Readonly<AclPolicyColumns>;
  /** Checks and normalizes one policy value; throws a one-line error. */
  policyValue(key: keyof AclPolicyColumns, flag: string, value: string): string;
  /** Parses an sshportal host URL (`[ssh://]user[:password]@host[:port]`, or a tunnel host's); throws a one-line error that never quotes the password. */
  hostUrl(url: string): { addr: string; user: string; url: string; password: string | null };
  /** Checks an ACL's host pattern list as `acl create --pattern` does; throws a one-line error that quotes at most a part of it. */
  hostPattern(pattern: string): string;
}

/** An ACL, with its session policy. */
export interface AclRow extends Stamped, AclPolicyColumns { hostPattern: string; action: string; weight: number; comment: string; inception: Date | null; expiration: Date | null }
/** A tunnel host's connector key (lib/db/backup/tunnels.ts). */
export interface TunnelKeyRow extends Stamped { deletedAt: null; hostId: number; fingerprint: string; authorizedKey: string; comment: string }
/** A setting. */
export interface SettingRow extends Stamped { name: string; value: string }
/** A session. */
export interface SessionRow extends Stamped {
  stoppedAt: Date | null; status: string; userId: number | null; hostId: number | null; errMsg: string | null;
  comment: string; node: string; remoteAddr: string; recordings: string | null; commands: string | null; seals: string | null;
}
/** An event. */
export interface EventRow extends Stamped {
  authorId: number | null; domain: string; action: string; entity: string; args: string | null;
  /** Chain fields: all null for events without a chain (sshportal's). */
  seq: number | null; prevHash: string | null; hash: string | null; chainAuthorId: number | null;
}
/** A signed checkpoint of the event chain. */
export interface CheckpointRow { id: number; createdAt: Date; seq: number; hash: string; node: string; publicKey: string; signature: string }

/** Many-to-many links as [left id, right id] pairs. */
export interface Links {
  hostGroups: [number, number][];
  userRoles: [number, number][];
  userGroups: [number, number][];
  userGroupAcls: [number, number][];
  hostGroupAcls: [number, number][];
}

/** A whole backup, validated. */
export interface BackupPlan {
  date: Date | null;
  keys: KeyRow[];
  hosts: HostRow[];
  hostGroups: GroupRow[];
  userGroups: GroupRow[];
  roles: RoleRow[];
  users: UserRow[];
  userKeys: UserKeyRow[];
  acls: AclRow[];
  settings: SettingRow[];
  sessions: SessionRow[];
  events: EventRow[] | null;
  /** Checkpoints of the backup's chain (restored with its events). */
  checkpoints: CheckpointRow[];
  /** Public audit signing keys (base64 SPKI DER), so restored checkpoints still verify. */
  auditKeys: string[];
  /** Connector keys of tunnel hosts (none in sshportal's backups). */
  tunnelKeys: TunnelKeyRow[];
  links: Links;
  /** What was dropped or repaired, one line each. */
  warnings: string[];
}
