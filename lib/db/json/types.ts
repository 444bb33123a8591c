/**
 * sshportal's JSON shapes (the Go structs of pkg/dbmodels with their default
 * field names), used by `inspect` and by `config backup`/`config restore`.
 * Dates are ISO 8601 strings; Go's `[]byte` fields (HostKey, Key) are base64;
 * a missing relation is null, an unset foreign key is 0. Fields marked "ours"
 * are extensions Go ignores when it reads our backups.
 */

/** gorm.Model. */
export interface GoModel {
  ID: number;
  CreatedAt: string;
  UpdatedAt: string;
  DeletedAt: string | null;
}

/** An ssh key (`keys`). */
export interface GoSshKey extends GoModel {
  Name: string;
  Type: string;
  Length: number;
  Fingerprint: string;
  PrivKey: string;
  PubKey: string;
  Hosts: GoHost[] | null;
  Comment: string;
}

/** A host (`hosts`). */
export interface GoHost extends GoModel {
  Name: string;
  Addr: string;
  User: string;
  Password: string;
  URL: string;
  SSHKey: GoSshKey | null;
  SSHKeyID: number;
  HostKey: string | null;
  Groups: GoHostGroup[] | null;
  Comment: string;
  Logging: string;
  Hop: GoHost | null;
  HopID: number;
}

/** A user's public key (`user_keys`). */
export interface GoUserKey extends GoModel {
  Key: string | null;
  AuthorizedKey: string;
  UserID: number;
  User: GoUser | null;
  Comment: string;
}

/** A role (only nested in users). */
export interface GoUserRole extends GoModel {
  Name: string;
  Users: GoUser[] | null;
}

/** A user (`users`). */
export interface GoUser extends GoModel {
  Roles: GoUserRole[] | null;
  Email: string;
  Name: string;
  Keys: GoUserKey[] | null;
  Groups: GoUserGroup[] | null;
  Comment: string;
  InviteToken: string;
  /** ours */
  InviteExpiresAt: string | null;
}

/** A user group (`user_groups`). */
export interface GoUserGroup extends GoModel {
  Name: string;
  Users: GoUser[] | null;
  ACLs: GoAcl[] | null;
  Comment: string;
}

/** A host group (`host_groups`). */
export interface GoHostGroup extends GoModel {
  Name: string;
  Hosts: GoHost[] | null;
  ACLs: GoAcl[] | null;
  Comment: string;
}

/** An ACL (`acls`). */
export interface GoAcl extends GoModel {
  HostGroups: GoHostGroup[] | null;
  UserGroups: GoUserGroup[] | null;
  HostPattern: string;
  Action: string;
  Weight: number;
  Comment: string;
  Inception: string | null;
  Expiration: string | null;
  /** Session policy (ours; absent from sshportal's backups, which then get the defaults). */
  Shell?: string;
  Exec?: string;
  FileCopy?: string;
  LocalForward?: string;
  RemoteForward?: string;
  AgentForward?: string;
  X11?: string;
}

/** A setting (`settings`). */
export interface GoSetting extends GoModel {
  Name: string;
  Value: string;
}

/** A session (`sessions`). */
export interface GoSession extends GoModel {
  StoppedAt: string | null;
  Status: string;
  User: GoUser | null;
  Host: GoHost | null;
  UserID: number;
  HostID: number;
  ErrMsg: string;
  Comment: string;
  /** ours */
  Node: string;
  /** ours */
  RemoteAddr: string;
  /** ours: recording files */
  Recordings: string[] | null;
  /** ours: what the connection ran (`exec: CMD`, `subsystem: NAME`, `shell`); absent from Go backups */
  Commands: string[] | null;
  /** ours: their lengths and hashes once closed */
  Seals?: { path: string; length: number; sha256: string }[] | null;
}

/** An audit event (`events`). */
export interface GoEvent extends GoModel {
  Author: GoUser | null;
  AuthorID: number;
  Domain: string;
  Action: string;
  Entity: string;
  Args: unknown;
  /** ours: the hash chain (null on events older than it) */
  Seq?: number | null;
  PrevHash?: string | null;
  Hash?: string | null;
  ChainAuthorID?: number | null;
}

/** ours: a signed checkpoint of the event chain (`audit_checkpoints`). */
export interface GoCheckpoint {
  ID: number;
  CreatedAt: string;
  Seq: number;
  Hash: string;
  Node: string;
  PublicKey: string;
  Signature: string;
}

/** The whole backup document. */
export interface GoConfig {
  keys: GoSshKey[];
  hosts: GoHost[];
  user_keys: GoUserKey[];
  users: GoUser[];
  user_groups: GoUserGroup[];
  host_groups: GoHostGroup[];
  acls: GoAcl[];
  settings: GoSetting[];
  events: GoEvent[] | null;
  sessions: GoSession[];
  date: string;
  /** ours: checkpoints of the event chain (null with --ignore-events) */
  audit_checkpoints?: GoCheckpoint[] | null;
  /** ours: public audit signing keys */
  audit_keys?: { PublicKey: string }[];
  /** ours: connector keys of tunnel hosts */
  tunnel_keys?: GoTunnelKey[];
}

/** ours: a tunnel host's connector key (`tunnel_keys`). */
export interface GoTunnelKey {
  ID: number;
  CreatedAt: string;
  UpdatedAt: string;
  HostID: number;
  Fingerprint: string;
  AuthorizedKey: string;
  Comment: string;
}
