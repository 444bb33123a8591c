import { In, IsNull, type EntityManager } from 'typeorm';
import type { AclInput } from '../acl/evaluate.js';
import type { PolicyOptions } from '../acl/policy.js';
import { NotFoundError } from '../errors.js';
import { resolveChain } from '../routing/hosts.js';
import { Acl, Host, Session, SshKey } from './entities/index.js';

/** Finds a host by name, or by numeric id; loads its groups and key. */
export async function findHost(m: EntityManager, target: string): Promise<Host> {
  const relations = { groups: true, sshKey: true } as const;
  const byName = await m.findOne(Host, { where: { name: target }, relations });
  if (byName) return byName;
  if (/^\d+$/.test(target)) {
    const byId = await m.findOne(Host, { where: { id: Number(target) }, relations });
    if (byId) return byId;
  }
  throw new NotFoundError(`no such host '${target}'`);
}

/** The host's hop chain, first hop first, the host itself last. */
export async function loadChain(m: EntityManager, host: Host): Promise<Host[]> {
  const loaded = new Map<number, Host>([[host.id, host]]);
  for (let h: Host | undefined = host; h && h.hopId !== null && !loaded.has(h.hopId);) {
    const hop: Host | null = await m.findOne(Host, { where: { id: h.hopId }, relations: { groups: true, sshKey: true } });
    if (!hop) break;
    loaded.set(hop.id, hop);
    h = hop;
  }
  return resolveChain(host, (id) => loaded.get(id));
}

/** The ACLs that name one of `userGroupIds`, as plain data for the pure evaluator. */
export async function loadAcls(m: EntityManager, userGroupIds: number[]): Promise<AclInput[]> {
  if (userGroupIds.length === 0) return [];
  const acls = await m.find(Acl, { where: { userGroups: { id: In(userGroupIds) } }, select: { id: true } });
  if (acls.length === 0) return [];
  const full = await m.find(Acl, { where: { id: In(acls.map((a) => a.id)) }, relations: { userGroups: true, hostGroups: true } });
  return full.map((a) => ({
    id: a.id, action: a.action === 'allow' ? 'allow' : 'deny', weight: a.weight, inception: a.inception, expiration: a.expiration,
    hostPattern: a.hostPattern, policy: aclPolicyOptions(a), userGroupIds: (a.userGroups ?? []).map((g) => g.id), hostGroupIds: (a.hostGroups ?? []).map((g) => g.id),
  }));
}

/** An ACL's stored session policy. */
export function aclPolicyOptions(a: Acl): PolicyOptions {
  return {
    shell: a.shell, exec: a.exec, fileCopy: a.fileCopy, localForward: a.localForward, remoteForward: a.remoteForward,
    agentForward: a.agentForward, x11: a.x11,
  };
}

/** The client key used for a host: its own, or `default`. */
export async function hostClientKey(m: EntityManager, host: Host): Promise<SshKey | null> {
  if (host.sshKey) return host.sshKey;
  return m.findOneBy(SshKey, { name: 'default' });
}

/**
 * Pins a target's host key on first use, race-safe across nodes: only a host
 * with no pinned key is updated. Returns the key now pinned.
 */
export async function pinHostKey(m: EntityManager, hostId: number, blob: string): Promise<string | null> {
  await m.update(Host, { id: hostId, hostKey: IsNull() }, { hostKey: blob });
  const h = await m.findOne(Host, { where: { id: hostId }, select: { id: true, hostKey: true } });
  return h?.hostKey ?? null;
}

/** Opens a session row for a relayed connection. */
export async function openSession(m: EntityManager, s: { userId: number; hostId: number; node: string; remoteAddr: string }): Promise<Session> {
  return m.save(m.create(Session, { ...s, status: 'active', stoppedAt: null, errMsg: null, recordings: null, commands: null }));
}

/** Adds a recording file to a live session's row. */
export async function addRecording(m: EntityManager, id: number, path: string): Promise<void> {
  const row = await m.findOne(Session, { where: { id }, select: { id: true, recordings: true } });
  if (!row) return;
  const list: unknown = row.recordings ? JSON.parse(row.recordings) : [];
  const paths = Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
  if (!paths.includes(path)) await m.update(Session, { id }, { recordings: JSON.stringify([...paths, path]) });
}

/** Replaces a live session's command list (JSON text from lib/db/session-commands.ts). */
export async function setSessionCommands(m: EntityManager, id: number, commands: string): Promise<void> {
  await m.update(Session, { id }, { commands });
}

/** Closes a session row. */
export async function closeSession(
  m: EntityManager, id: number, end: { at: Date; error?: string; recordings: string[]; seals?: readonly { path: string; length: number; sha256: string }[] },
): Promise<void> {
  await m.update(Session, { id }, {
    status: 'closed', stoppedAt: end.at, errMsg: end.error ?? null,
    recordings: end.recordings.length > 0 ? JSON.stringify(end.recordings) : null,
    seals: end.seals && end.seals.length > 0 ? JSON.stringify(end.seals) : null,
  });
}
