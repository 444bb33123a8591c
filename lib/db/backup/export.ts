import type { EntityManager } from 'typeorm';
import type { FieldCipher } from '../../crypto/field-cipher.js';
import { mapPaced } from '../../paced-map.js';
import type { Database } from '../database.js';
import { Acl, Event, Host, HostGroup, Session, Setting, SshKey, User, UserGroup, UserKey, UserRole } from '../entities/index.js';
import { groupPairs, joinPairs } from '../queries/common.js';
import { allHosts } from '../reads/hosts.js';
import { sqlOf } from '../sql.js';
import {
  aclJson, eventJson, hostGroupJson, hostJson, nestedJson, sessionJson, settingJson, sshKeyJson, userGroupJson, userJson, userKeyJson, type JsonOptions,
} from '../json/go-json.js';
import { isPortalOwnSetting } from '../secrets.js';
import { exportTunnelKeys } from './tunnels.js';
import { exportAudit } from './audit.js';
import { restoreGeneration } from './generation.js';
import { ConflictError } from '../../errors.js';
import type { GoConfig, GoEvent, GoSession } from '../json/types.js';

/** Options of `config backup`. */
export interface ExportOptions {
  cipher: FieldCipher;
  /** `--decrypt`: secrets in clear; otherwise as stored (encrypted when the portal has an AES key). */
  decrypt: boolean;
  /** `--ignore-events`: no audit trail (written as null, like sshportal). */
  ignoreEvents: boolean;
  now: Date;
  /**
   * Asked at each pause of the conversion: true (the client left) stops it,
   * and {@link backupDocument} resolves null rather than convert for no one.
   */
  abandoned?: () => boolean;
}

const byId = { order: { id: 'ASC' } } as const;

function lookup<T extends { id: number }>(rows: readonly T[]): (ids: number[] | undefined) => T[] {
  const map = new Map(rows.map((r) => [r.id, r]));
  return (ids) => (ids ?? []).map((id) => map.get(id)).filter((r): r is T => r !== undefined);
}

function invert(pairs: readonly [number, number][]): [number, number][] {
  return pairs.map(([l, r]) => [r, l]);
}

/**
 * Rows of a history table (events, sessions) read at a time, each page when
 * the writing asked for it. A row may be large (an event's args up to 60 KB,
 * a session's recordings and commands): 2,000 of them at once were 100 MB of
 * strings read in one turn of the event loop (better-sqlite3 and typeorm's
 * entities are synchronous).
 */
export const HISTORY_PAGE = 128;

/** The largest id of `entity`'s rows (0 without rows). */
async function lastId(m: EntityManager, entity: typeof Event | typeof Session): Promise<number> {
  const row = await m.createQueryBuilder(entity, 'r').select('MAX(r.id)', 'last').getRawOne<{ last: number | string | null }>();
  return Number(row?.last ?? 0);
}

/** Why a backup stops writing its history (the document is then cut, and the command fails). */
const restoredMeanwhile = 'the database was restored while this backup was written: the backup is incomplete; take it again';

/**
 * The rows of a table that grows without bound, by id up to `upTo`, a page at
 * a time, each read once the one before was taken, in a transaction of its
 * own: on SQLite (one connection) a read outside one sees the uncommitted
 * writes of whatever transaction is open (a restore's), and a page is read
 * only under the snapshot's restore generation (generation.ts).
 */
async function* readPaged<T extends Event | Session>(source: HistorySource, entity: new () => T, upTo: number): AsyncGenerator<T> {
  for (let after = 0; after < upTo;) {
    const from = after;
    // Null under another generation: thrown after the commit, so that this read-only transaction never rolls back (nothing it
    // would undo is its own).
    const page = await source.db.transaction(async (m) => {
      if ((await restoreGeneration(m)) !== source.generation) return null;
      return m.createQueryBuilder(entity, 'r').where('r.id > :from AND r.id <= :upTo', { from, upTo }).orderBy('r.id', 'ASC').limit(HISTORY_PAGE).getMany();
    });
    if (page === null) throw new ConflictError(restoredMeanwhile);
    yield* page;
    const last = page.at(-1);
    if (last === undefined || page.length < HISTORY_PAGE) return;
    after = last.id;
  }
}

/** Every table but the history ones, each read once (no per-row queries), and how far the history ones went. */
async function readTables(m: EntityManager, ignoreEvents: boolean) {
  const [keys, hosts, hostGroups, userGroups, roles, users, userKeys, acls, settings] = [
    await m.find(SshKey, byId), await allHosts(sqlOf(m)), await m.find(HostGroup, byId), await m.find(UserGroup, byId),
    await m.find(UserRole, byId), await m.find(User, byId), await m.find(UserKey, byId), await m.find(Acl, byId),
    await m.find(Setting, byId),
  ];
  const pairs = {
    hhg: await joinPairs(m, 'host_host_groups', 'host_id', 'host_group_id'),
    uur: await joinPairs(m, 'user_user_roles', 'user_id', 'user_role_id'),
    uug: await joinPairs(m, 'user_user_groups', 'user_id', 'user_group_id'),
    uga: await joinPairs(m, 'user_group_acls', 'user_group_id', 'acl_id'),
    hga: await joinPairs(m, 'host_group_acls', 'host_group_id', 'acl_id'),
  };
  const upTo = { sessions: await lastId(m, Session), events: ignoreEvents ? null : await lastId(m, Event) };
  return {
    keys, hosts, hostGroups, userGroups, roles, users, userKeys, acls, settings, pairs, upTo,
    audit: await exportAudit(m, ignoreEvents), tunnelKeys: await exportTunnelKeys(m), generation: await restoreGeneration(m),
  };
}

type Tables = Awaited<ReturnType<typeof readTables>>;

/** Attaches the relations sshportal's backup nests; the history tables' rows get theirs as they are read ({@link history}). */
function linked(t: Tables) {
  const { keys, hosts, hostGroups, userGroups, roles, users, userKeys, acls, settings } = t;
  const { hhg, uur, uug, uga, hga } = t.pairs;
  // The portal's own settings (the cluster key, in clear without --aes-key) are never restored: they are not handed out either.
  const configSettings = settings.filter((s) => !isPortalOwnSetting(s.name));
  const [keyOf, hostOf, hgOf, ugOf, roleOf, userOf, aclOf] = [lookup(keys), lookup(hosts), lookup(hostGroups), lookup(userGroups), lookup(roles), lookup(users), lookup(acls)];
  // Grouped once, not filtered per row: 10k keys × 10k hosts was 10^8 comparisons with the event loop held.
  const hostsOfKey = groupPairs(hosts.flatMap((h): [number, number][] => (h.sshKeyId === null ? [] : [[h.sshKeyId, h.id]])));
  for (const k of keys) Object.assign(k, { hosts: hostOf(hostsOfKey.get(k.id)) });
  const groupsOfHost = groupPairs(hhg);
  for (const h of hosts) Object.assign(h, { groups: hgOf(groupsOfHost.get(h.id)), sshKey: h.sshKeyId === null ? null : one(keyOf([h.sshKeyId])) });
  for (const k of userKeys) k.user = one(userOf([k.userId])) ?? undefined;
  const [rolesOf, ugsOfUser, keysOfUser] = [groupPairs(uur), groupPairs(uug), groupPairs(userKeys.map((k): [number, number] => [k.userId, k.id]))];
  const userKeyOf = lookup(userKeys);
  for (const u of users) Object.assign(u, { roles: roleOf(rolesOf.get(u.id)), groups: ugOf(ugsOfUser.get(u.id)), keys: userKeyOf(keysOfUser.get(u.id)) });
  const [usersOf, aclsOfUg, hostsOf, aclsOfHg] = [groupPairs(invert(uug)), groupPairs(uga), groupPairs(invert(hhg)), groupPairs(hga)];
  for (const g of userGroups) Object.assign(g, { users: userOf(usersOf.get(g.id)), acls: aclOf(aclsOfUg.get(g.id)) });
  for (const g of hostGroups) Object.assign(g, { hosts: hostOf(hostsOf.get(g.id)), acls: aclOf(aclsOfHg.get(g.id)) });
  const [ugsOfAcl, hgsOfAcl] = [groupPairs(invert(uga)), groupPairs(invert(hga))];
  for (const a of acls) Object.assign(a, { userGroups: ugOf(ugsOfAcl.get(a.id)), hostGroups: hgOf(hgsOfAcl.get(a.id)) });
  const user = (id: number | null): User | null => (id === null ? null : one(userOf([id])));
  const host = (id: number | null): Host | null => (id === null ? null : one(hostOf([id])));
  return { keys, hosts, hostGroups, userGroups, users, userKeys, acls, settings: configSettings, user, host };
}

function one<T>(list: T[]): T | null {
  return list[0] ?? null;
}

/** Thrown at a pause of the conversion whose {@link ExportOptions.abandoned} said so. */
class Abandoned extends Error {}

/** `rows` through `json`, paced (lib/paced-map.ts); throws {@link Abandoned} at a pause once `abandoned()`. */
async function converted<T, U>(rows: readonly T[], json: (row: T) => U, abandoned: () => boolean): Promise<U[]> {
  const out = await mapPaced(rows, json, abandoned);
  if (out === null) throw new Abandoned();
  return out;
}

/** Where the history tables are read from, as the document is written, and how far (where the read of the others saw them). */
interface HistorySource {
  db: Database;
  upTo: Tables['upTo'];
  /** The restore generation of the snapshot. */
  generation: string;
}

/** Everything a backup holds but its history, read from the database (see {@link readBackup}), and where to read that. */
export interface BackupRows {
  graph: ReturnType<typeof linked>;
  audit: Tables['audit'];
  tunnelKeys: Tables['tunnelKeys'];
  history: HistorySource;
}

/**
 * Reads every table a backup holds but the history ones (events, sessions),
 * each once, in one transaction for one consistent state, and how far the
 * history ones went then. Those are read as the document is written, a page
 * at a time up to that row, each page in a short transaction of its own (one
 * held open while a client downloads would hold every other write of the
 * portal on SQLite, sqlite-turns.ts, and InnoDB's undo history on MySQL):
 * events are only appended, and only a restore removes history rows, which
 * the restore generation tells (generation.ts: the backup then fails, cut);
 * what changes meanwhile in a row read later (a session closing, a removed
 * author) shows as it is then.
 */
export async function readBackup(db: Database, o: Pick<ExportOptions, 'ignoreEvents'>): Promise<BackupRows> {
  const t = await db.transaction((m) => readTables(m, o.ignoreEvents));
  return { graph: linked(t), audit: t.audit, tunnelKeys: t.tunnelKeys, history: { db, upTo: t.upTo, generation: t.generation } };
}

/**
 * sshportal's backup document, its history lists read and converted as they
 * are written (the shell's JSON writer writes such a list as an array).
 */
export interface BackupDocument extends Omit<GoConfig, 'events' | 'sessions'> {
  events: AsyncIterable<GoEvent> | null;
  sessions: AsyncIterable<GoSession>;
}

/** The history tables' rows as sshportal's JSON, each with its relations from the graph, read a page at a time when asked for. */
async function* history<T extends Event | Session, U>(source: HistorySource, entity: new () => T, upTo: number, json: (row: T) => U): AsyncGenerator<U> {
  for await (const row of readPaged(source, entity, upTo)) yield json(row);
}

/**
 * The whole configuration as sshportal's backup document (`config backup`):
 * top-level collections with Go's field names and one level of nested
 * relations. Run outside the reading transaction: it pauses every 10 ms, so
 * that 10,000 hosts (2 s of conversion) do not hold the event loop. The
 * history lists (events, sessions) are read and converted only as they are
 * written, so that a backup holds one page of them, not the audit trail.
 * A secret that cannot be decrypted fails it here, before anything is written.
 * Null when {@link ExportOptions.abandoned} said so at a pause.
 */
export async function backupDocument(r: BackupRows, o: Omit<ExportOptions, 'ignoreEvents'>): Promise<BackupDocument | null> {
  const abandoned = o.abandoned ?? (() => false);
  // The read took its time: a client gone meanwhile is not converted for at all.
  if (abandoned()) return null;
  try {
    return await convertedDocument(r, o, abandoned);
  } catch (err) {
    if (err instanceof Abandoned) return null;
    throw err;
  }
}

async function convertedDocument(r: BackupRows, o: Omit<ExportOptions, 'ignoreEvents'>, abandoned: () => boolean): Promise<BackupDocument> {
  const g = r.graph;
  const j: JsonOptions = { secrets: o.decrypt ? 'decrypt' : 'stored', cipher: o.cipher, nested: new Map() };
  const each = <T, U>(rows: readonly T[], json: (row: T) => U): Promise<U[]> => converted(rows, json, abandoned);
  // The rows nested by the thousand (a key's or a group's hosts, a group's users) are converted first, paced;
  // a group of 10,000 hosts is then 10,000 look-ups, not 10,000 conversions in one turn.
  await each(g.hosts, (h) => nestedJson(h, hostJson, j));
  await each(g.users, (u) => nestedJson(u, userJson, j));
  const { upTo } = r.history;
  return {
    keys: await each(g.keys, (k) => sshKeyJson(k, j)),
    hosts: await each(g.hosts, (h) => hostJson(h, j)),
    user_keys: await each(g.userKeys, (k) => userKeyJson(k, j)),
    users: await each(g.users, (u) => userJson(u, j)),
    user_groups: await each(g.userGroups, (x) => userGroupJson(x, j)),
    host_groups: await each(g.hostGroups, (x) => hostGroupJson(x, j)),
    acls: await each(g.acls, (a) => aclJson(a, j)),
    settings: await each(g.settings, settingJson),
    events: upTo.events === null ? null : history(r.history, Event, upTo.events, (e) => eventJson(Object.assign(e, { author: g.user(e.authorId) }), j)),
    sessions: history(r.history, Session, upTo.sessions, (s) => sessionJson(Object.assign(s, { user: g.user(s.userId), host: g.host(s.hostId) }), j)),
    date: o.now.toISOString(),
    audit_checkpoints: r.audit.checkpoints,
    audit_keys: r.audit.keys,
    tunnel_keys: r.tunnelKeys,
  };
}
