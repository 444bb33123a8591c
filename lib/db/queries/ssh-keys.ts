import { In, type EntityManager } from 'typeorm';
import { AlreadyExistsError, ConflictError, InvalidArgumentError } from '../../errors.js';
import { hostKeyName } from '../bootstrap.js';
import { Host, SshKey } from '../entities/index.js';
import { hostsOfKeys } from '../reads/hosts.js';
import { sqlOf } from '../sql.js';
import { findNamed, nameTaken } from './common.js';

/** A key with the number of hosts using it (`key ls`). */
export type SshKeyWithCount = SshKey & { hostCount: number };

/** Keys newest first (only the newest with `latest`), with their host counts; two queries. */
export async function listSshKeys(m: EntityManager, latest: boolean): Promise<SshKeyWithCount[]> {
  const keys = await m.find(SshKey, {
    select: { id: true, name: true, type: true, length: true, fingerprint: true, comment: true, createdAt: true, updatedAt: true },
    order: { createdAt: 'DESC', id: 'DESC' }, take: latest ? 1 : undefined,
  });
  const raw: { k: unknown; n: unknown }[] = await m.createQueryBuilder(Host, 'h')
    .select('h.ssh_key_id', 'k').addSelect('COUNT(*)', 'n').where('h.ssh_key_id IS NOT NULL').groupBy('h.ssh_key_id').getRawMany();
  const counts = new Map(raw.map((r) => [Number(r.k), Number(r.n)]));
  return keys.map((k) => Object.assign(k, { hostCount: counts.get(k.id) ?? 0 }));
}

/** Finds keys by name or id; `withHosts` loads the hosts using each (for `inspect`). */
export function findSshKeys(m: EntityManager, identifiers: readonly string[], withHosts = false): Promise<(SshKey & { hosts?: Host[] })[]> {
  return findNamed(m, SshKey, identifiers, 'key').then(async (keys) => {
    if (!withHosts || keys.length === 0) return keys;
    // Plain SQL, grouped once: a key used by 10,000 hosts took ~0.15 s of typeorm entities with the event loop held.
    const hosts = await hostsOfKeys(sqlOf(m), keys.map((k) => k.id));
    const byKey = new Map<number, Host[]>(keys.map((k) => [k.id, []]));
    for (const h of hosts) if (h.sshKeyId !== null) byKey.get(h.sshKeyId)?.push(h);
    return keys.map((k) => Object.assign(k, { hosts: byKey.get(k.id) ?? [] }));
  });
}

/** Throws AlreadyExistsError when a key named `name` exists. */
export async function assertKeyNameFree(m: EntityManager, name: string): Promise<void> {
  if (await nameTaken(m, SshKey, name)) throw new AlreadyExistsError(`key '${name}' already exists`);
}

/** Deletes keys, refusing the portal's own host key and keys hosts still use. */
export async function removeSshKeys(m: EntityManager, keys: readonly SshKey[]): Promise<void> {
  for (const k of keys) {
    if (k.name === hostKeyName) throw new ConflictError(`key '${hostKeyName}' is the portal's own host key and cannot be removed`);
  }
  if (keys.length === 0) return;
  const used = await m.find(Host, { select: { id: true, name: true, sshKeyId: true }, where: { sshKeyId: In(keys.map((k) => k.id)) }, take: 5 });
  if (used.length > 0) {
    const key = keys.find((k) => k.id === used[0]?.sshKeyId)?.name ?? '';
    throw new ConflictError(`key '${key}' is used by host ${used.map((h) => `'${h.name}'`).join(', ')}; change their key first`);
  }
  await m.delete(SshKey, keys.map((k) => k.id));
}

/** The client key a host authenticates with, by name or id; the portal's own host key is not one. */
export async function findClientKey(m: EntityManager, identifier: string): Promise<SshKey> {
  const key = (await findSshKeys(m, [identifier])).at(0);
  if (!key) throw new InvalidArgumentError(`unknown key '${identifier}'`);
  if (key.name === hostKeyName) throw new InvalidArgumentError(`key '${hostKeyName}' is the portal's own host key; use a client key`);
  return key;
}
