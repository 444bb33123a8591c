import type { FieldCipher } from '../../crypto/field-cipher.js';
import type { Acl, Event, Host, HostGroup, Session, Setting, SshKey, User, UserGroup, UserKey, UserRole } from '../entities/index.js';
import type {
  GoAcl, GoEvent, GoHost, GoHostGroup, GoModel, GoSession, GoSetting, GoSshKey, GoUser, GoUserGroup, GoUserKey, GoUserRole,
} from './types.js';

/** How secrets (host passwords, private keys) are written. */
export type SecretMode = 'redact' | 'stored' | 'decrypt';

/** Options of the serializers. */
export interface JsonOptions {
  secrets: SecretMode;
  cipher: FieldCipher;
  /**
   * Nested forms already written, by row (a backup nests each host in its key
   * and its groups: converted once, the same value written each time). Only
   * for rows that do not change while it lives.
   */
  nested?: Map<object, unknown>;
}

/** What a redacted secret shows. */
export const redacted = '[redacted]';

function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}

function model(row: { id: number; createdAt: Date; updatedAt: Date; deletedAt: Date | null }): GoModel {
  return { ID: row.id, CreatedAt: iso(row.createdAt) ?? '', UpdatedAt: iso(row.updatedAt) ?? '', DeletedAt: iso(row.deletedAt) };
}

function secret(stored: string | null, o: JsonOptions): string {
  if (stored === null || stored === '') return '';
  if (o.secrets === 'redact') return redacted;
  return o.secrets === 'decrypt' ? o.cipher.decrypt(stored) : stored;
}

/** A serializer of one kind of row. */
type Serializer<T, J> = (x: T, o: JsonOptions, nested: boolean) => J;

/** `x`'s nested form (without relations), from {@link JsonOptions.nested} when it was written before. */
export function nestedJson<T extends object, J>(x: T, fn: Serializer<T, J>, o: JsonOptions): J {
  if (o.nested === undefined) return fn(x, o, true);
  // A row is only ever written by its own kind's serializer: the value stored for it is a J.
  const seen = o.nested.get(x) as J | undefined;
  if (seen !== undefined) return seen;
  const json = fn(x, o, true);
  o.nested.set(x, json);
  return json;
}

/** Relations are written one level deep, as gorm's preloads do; nested objects carry no relations. */
function list<T extends object, J>(items: T[] | undefined, nested: boolean, fn: Serializer<T, J>, o: JsonOptions): J[] | null {
  return nested || items === undefined ? null : items.map((x) => nestedJson(x, fn, o));
}

function one<T extends object, J>(item: T | null | undefined, nested: boolean, fn: Serializer<T, J>, o: JsonOptions): J | null {
  return nested || item === undefined || item === null ? null : nestedJson(item, fn, o);
}

/** An ssh key in sshportal's JSON (relation: Hosts). */
export function sshKeyJson(k: SshKey & { hosts?: Host[] }, o: JsonOptions, nested = false): GoSshKey {
  return {
    ...model(k), Name: k.name, Type: k.type, Length: k.length, Fingerprint: k.fingerprint,
    PrivKey: secret(k.privKey, o), PubKey: k.pubKey, Hosts: list(k.hosts, nested, hostJson, o), Comment: k.comment,
  };
}

/** A host in sshportal's JSON (relations: SSHKey, Groups, Hop). */
export function hostJson(h: Host, o: JsonOptions, nested = false): GoHost {
  return {
    ...model(h), Name: h.name, Addr: h.addr, User: h.user, Password: secret(h.password, o), URL: h.url,
    SSHKey: one(h.sshKey, nested, sshKeyJson, o), SSHKeyID: h.sshKeyId ?? 0, HostKey: h.hostKey,
    Groups: list(h.groups, nested, hostGroupJson, o), Comment: h.comment, Logging: h.logging,
    Hop: one(h.hop, nested, hostJson, o), HopID: h.hopId ?? 0,
  };
}

/** A user key in sshportal's JSON (relation: User). */
export function userKeyJson(k: UserKey, o: JsonOptions, nested = false): GoUserKey {
  return { ...model(k), Key: k.key || null, AuthorizedKey: k.authorizedKey, UserID: k.userId, User: one(k.user, nested, userJson, o), Comment: k.comment };
}

/** A role in sshportal's JSON. */
function userRoleJson(r: UserRole): GoUserRole {
  return { ...model(r), Name: r.name, Users: null };
}

/** A user in sshportal's JSON (relations: Roles, Keys, Groups). The invite token is only ever its hash. */
export function userJson(u: User, o: JsonOptions, nested = false): GoUser {
  return {
    ...model(u), Roles: nested || !u.roles ? null : u.roles.map(userRoleJson), Email: u.email, Name: u.name,
    Keys: list(u.keys, nested, userKeyJson, o), Groups: list(u.groups, nested, userGroupJson, o), Comment: u.comment,
    InviteToken: o.secrets === 'redact' && u.inviteToken !== '' ? redacted : u.inviteToken, InviteExpiresAt: iso(u.inviteExpiresAt),
  };
}

/** A user group in sshportal's JSON (relations: Users, ACLs). */
export function userGroupJson(g: UserGroup, o: JsonOptions, nested = false): GoUserGroup {
  return { ...model(g), Name: g.name, Users: list(g.users, nested, userJson, o), ACLs: list(g.acls, nested, aclJson, o), Comment: g.comment };
}

/** A host group in sshportal's JSON (relations: Hosts, ACLs). */
export function hostGroupJson(g: HostGroup, o: JsonOptions, nested = false): GoHostGroup {
  return { ...model(g), Name: g.name, Hosts: list(g.hosts, nested, hostJson, o), ACLs: list(g.acls, nested, aclJson, o), Comment: g.comment };
}

/** An ACL in sshportal's JSON (relations: HostGroups, UserGroups). */
export function aclJson(a: Acl, o: JsonOptions, nested = false): GoAcl {
  return {
    ...model(a), HostGroups: list(a.hostGroups, nested, hostGroupJson, o), UserGroups: list(a.userGroups, nested, userGroupJson, o),
    HostPattern: a.hostPattern, Action: a.action, Weight: a.weight, Comment: a.comment,
    Inception: iso(a.inception), Expiration: iso(a.expiration),
    Shell: a.shell, Exec: a.exec, FileCopy: a.fileCopy, LocalForward: a.localForward, RemoteForward: a.remoteForward,
    AgentForward: a.agentForward, X11: a.x11,
  };
}

/** A setting in sshportal's JSON. */
export function settingJson(s: Setting): GoSetting {
  return { ...model(s), Name: s.name, Value: s.value };
}

function parseJsonList(text: string | null): string[] | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;
  } catch {
    return null;
  }
}

type Seal = { path: string; length: number; sha256: string };

/** The `seals` column (written by the portal itself) as objects; null when absent or not a list of seals. */
function parseSeals(text: string | null): Seal[] | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    const ok = (x: unknown): x is Seal => typeof x === 'object' && x !== null && typeof (x as Seal).path === 'string' &&
      typeof (x as Seal).length === 'number' && typeof (x as Seal).sha256 === 'string';
    return Array.isArray(v) && v.every(ok) ? v.map((x) => ({ path: x.path, length: x.length, sha256: x.sha256 })) : null;
  } catch {
    return null;
  }
}

/** A session in sshportal's JSON (relations: User, Host). */
export function sessionJson(s: Session, o: JsonOptions, nested = false): GoSession {
  return {
    ...model(s), StoppedAt: iso(s.stoppedAt), Status: s.status, User: one(s.user, nested, userJson, o), Host: one(s.host, nested, hostJson, o),
    UserID: s.userId ?? 0, HostID: s.hostId ?? 0, ErrMsg: s.errMsg ?? '', Comment: s.comment,
    Node: s.node, RemoteAddr: s.remoteAddr, Recordings: parseJsonList(s.recordings),
    Commands: parseJsonList(s.commands), Seals: parseSeals(s.seals),
  };
}

/** The arguments of an event as an object (sshportal's ArgsMap), or the raw text when it is not JSON. */
export function eventArgs(args: string | null): unknown {
  if (args === null || args === '') return null;
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

/** An event in sshportal's JSON (relation: Author). */
export function eventJson(e: Event, o: JsonOptions, nested = false): GoEvent {
  return {
    ...model(e), Author: one(e.author, nested, userJson, o), AuthorID: e.authorId ?? 0,
    Domain: e.domain, Action: e.action, Entity: e.entity, Args: eventArgs(e.args),
    Seq: e.seq, PrevHash: e.prevHash, Hash: e.hash, ChainAuthorID: e.chainAuthorId,
  };
}
