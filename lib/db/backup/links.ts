import { quoted } from '../../errors.js';
import { invalid } from './narrow.js';
import type { BackupPlan, Links, Stamped } from './plan.js';

/** Links as read from both sides of each relation, before checking. */
export type RawLinks = Links;

function assertUnique<T extends Stamped>(rows: readonly T[], what: string, key?: (r: T) => string): void {
  const ids = new Set<number>();
  const keys = new Set<string>();
  for (const r of rows) {
    if (ids.has(r.id)) throw invalid(what, `duplicate ID ${r.id}`);
    ids.add(r.id);
    const k = key?.(r);
    if (k !== undefined) {
      if (keys.has(k)) throw invalid(what, `duplicate name ${quoted(k)}`);
      keys.add(k);
    }
  }
}

function checkUniqueness(p: BackupPlan): void {
  const byName = (r: { name: string }): string => r.name;
  assertUnique(p.keys, 'keys', byName);
  assertUnique(p.hosts, 'hosts', byName);
  assertUnique(p.hostGroups, 'host_groups', byName);
  assertUnique(p.userGroups, 'user_groups', byName);
  assertUnique(p.users, 'users', byName);
  assertUnique(p.roles, 'users[].Roles', byName);
  assertUnique(p.userKeys, 'user_keys');
  assertUnique(p.acls, 'acls');
  assertUnique(p.settings, 'settings', byName);
  assertUnique(p.sessions, 'sessions');
  if (p.events) assertUnique(p.events, 'events');
  assertUnique(p.tunnelKeys, 'tunnel_keys');
}

/**
 * Refuses a hop loop. Linear in the hosts (a backup of 20k hosts chained one
 * behind another took 14 s when every host walked its whole chain, with the
 * event loop held): each host is walked once, and a walk stops at a host
 * already known to end outside any loop. Runs after repairReferences (every
 * hop id names a host of the backup).
 */
function checkHops(p: BackupPlan): void {
  const byId = new Map(p.hosts.map((h) => [h.id, h]));
  const state = new Map<number, 'walking' | 'done'>();
  for (const start of p.hosts) {
    const path: number[] = [];
    for (let h = byId.get(start.id); h !== undefined && !state.has(h.id); h = h.hopId === null ? undefined : byId.get(h.hopId)) {
      state.set(h.id, 'walking');
      path.push(h.id);
      if (h.hopId !== null && state.get(h.hopId) === 'walking') throw invalid('hosts', `host ${quoted(byId.get(h.hopId)?.name ?? h.name)} reaches itself through its hops`);
    }
    for (const id of path) state.set(id, 'done');
  }
}

function repairReferences(p: BackupPlan): void {
  const keys = new Set(p.keys.map((k) => k.id));
  const hosts = new Set(p.hosts.map((h) => h.id));
  const users = new Set(p.users.map((u) => u.id));
  for (const h of p.hosts) {
    if (h.sshKeyId !== null && !keys.has(h.sshKeyId)) {
      p.warnings.push(`host '${h.name}': its key ${h.sshKeyId} is not in the backup; the host keeps no key`);
      h.sshKeyId = null;
    }
    if (h.hopId !== null && !hosts.has(h.hopId)) {
      p.warnings.push(`host '${h.name}': its hop ${h.hopId} is not in the backup; the host is reached directly`);
      h.hopId = null;
    }
  }
  const orphans = p.userKeys.filter((k) => !users.has(k.userId));
  if (orphans.length > 0) p.warnings.push(`skipped ${orphans.length} user key(s) of users not in the backup`);
  p.userKeys = p.userKeys.filter((k) => users.has(k.userId));
  for (const s of p.sessions) {
    if (s.userId !== null && !users.has(s.userId)) s.userId = null;
    if (s.hostId !== null && !hosts.has(s.hostId)) s.hostId = null;
  }
  for (const e of p.events ?? []) if (e.authorId !== null && !users.has(e.authorId)) e.authorId = null;
}

function cleanPairs(pairs: [number, number][], left: Set<number>, right: Set<number>, what: string, warnings: string[]): [number, number][] {
  const seen = new Set<string>();
  const out: [number, number][] = [];
  let dropped = 0;
  for (const [l, r] of pairs) {
    const key = `${l}:${r}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (left.has(l) && right.has(r)) out.push([l, r]);
    else dropped++;
  }
  if (dropped > 0) warnings.push(`dropped ${dropped} ${what} link(s) to entries not in the backup`);
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** Checks unique ids and names and hop loops, repairs dangling references (with warnings), keeps valid links. */
export function resolveLinks(p: BackupPlan, raw: RawLinks): BackupPlan {
  checkUniqueness(p);
  repairReferences(p);
  checkHops(p);
  const ids = (rows: readonly Stamped[]): Set<number> => new Set(rows.map((r) => r.id));
  const [hosts, hgs, ugs, users, roles, acls] = [ids(p.hosts), ids(p.hostGroups), ids(p.userGroups), ids(p.users), ids(p.roles), ids(p.acls)];
  p.links = {
    hostGroups: cleanPairs(raw.hostGroups, hosts, hgs, 'host-group', p.warnings),
    userRoles: cleanPairs(raw.userRoles, users, roles, 'user-role', p.warnings),
    userGroups: cleanPairs(raw.userGroups, users, ugs, 'user-group', p.warnings),
    userGroupAcls: cleanPairs(raw.userGroupAcls, ugs, acls, 'user-group ACL', p.warnings),
    hostGroupAcls: cleanPairs(raw.hostGroupAcls, hgs, acls, 'host-group ACL', p.warnings),
  };
  return p;
}
