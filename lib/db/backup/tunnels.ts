/**
 * Tunnel hosts' connector keys in backups (`tunnel_keys`, an extra key only:
 * sshportal's format stays readable, and a backup without it restores with no
 * connector keys). Host invites are never backed up: they are single-use secrets.
 */
import type { EntityManager } from 'typeorm';
import { parsePublicKey, type PublicKeyInfo } from '../../crypto/ssh-keys.js';
import { TunnelInvite, TunnelKey } from '../entities/index.js';
import type { GoTunnelKey } from '../json/types.js';
import { count, date, id, invalid, objects, string, type Reader } from './narrow.js';
import type { BackupPlan, TunnelKeyRow } from './plan.js';

const fingerprintPattern = /^SHA256:[A-Za-z0-9+/]{43}$/;
const authorizedKeyPattern = /^[a-z0-9@.-]{1,64} [A-Za-z0-9+/]+={0,2}$/;

/**
 * The key as stored (`algo base64`) and its fingerprint, derived from the key:
 * a connector is found by its key's fingerprint, so a backup naming one key
 * and the fingerprint of another would show the first (`host inspect`) while
 * the second connects. Such a row is refused, not repaired: no backup this
 * portal writes holds one.
 */
function connectorKey(r: Reader, fingerprint: string, authorizedKey: string): { fingerprint: string; authorizedKey: string } {
  let info: PublicKeyInfo;
  try {
    info = parsePublicKey(authorizedKey);
  } catch {
    throw invalid(`${r.path}.AuthorizedKey`, 'expected "algo base64"');
  }
  if (info.fingerprint !== fingerprint) throw invalid(`${r.path}.Fingerprint`, 'not the fingerprint of AuthorizedKey');
  return { fingerprint, authorizedKey: `${info.algo} ${info.blob}` };
}

function readTunnelKey(r: Reader, now: Date): TunnelKeyRow {
  const given = string(r, 'Fingerprint');
  const line = string(r, 'AuthorizedKey');
  if (!fingerprintPattern.test(given)) throw invalid(`${r.path}.Fingerprint`, 'expected a SHA256: fingerprint');
  if (line.length > 16_384 || !authorizedKeyPattern.test(line)) throw invalid(`${r.path}.AuthorizedKey`, 'expected "algo base64"');
  const { fingerprint, authorizedKey } = connectorKey(r, given, line);
  const comment = string(r, 'Comment');
  if (comment.length > 1024) throw invalid(`${r.path}.Comment`, 'longer than 1024 characters');
  const createdAt = date(r, 'CreatedAt') ?? now;
  return { id: id(r), createdAt, updatedAt: date(r, 'UpdatedAt') ?? createdAt, deletedAt: null, hostId: count(r, 'HostID'), fingerprint, authorizedKey, comment };
}

/**
 * The connector keys of a backup; keys of hosts the backup does not have are
 * dropped with a warning, and so is a host's key given twice (the database
 * holds a key once per host).
 */
export function readTunnelKeys(doc: Reader, hostIds: ReadonlySet<number>, warnings: string[], now: Date): TunnelKeyRow[] {
  const rows = objects(doc, 'tunnel_keys').map((r) => readTunnelKey(r, now));
  const known = rows.filter((k) => hostIds.has(k.hostId));
  if (known.length < rows.length) warnings.push(`${rows.length - known.length} tunnel connector key(s) of unknown hosts dropped`);
  const seen = new Set<string>();
  return known.filter((k) => {
    const key = `${k.hostId} ${k.fingerprint}`;
    if (!seen.has(key)) {
      seen.add(key);
      return true;
    }
    warnings.push(`skipped tunnel connector key ${k.id}: host ${k.hostId} already has this key`);
    return false;
  });
}

/** What `config backup` writes of connector keys. */
export async function exportTunnelKeys(m: EntityManager): Promise<GoTunnelKey[]> {
  const keys = await m.find(TunnelKey, { order: { id: 'ASC' } });
  return keys.map((k) => ({
    ID: k.id, CreatedAt: k.createdAt.toISOString(), UpdatedAt: k.updatedAt.toISOString(), HostID: k.hostId,
    Fingerprint: k.fingerprint, AuthorizedKey: k.authorizedKey, Comment: k.comment,
  }));
}

/** Deletes connector keys and host invites (before the hosts they belong to). */
export async function clearTunnels(m: EntityManager): Promise<void> {
  await m.createQueryBuilder().delete().from(TunnelInvite).execute();
  await m.createQueryBuilder().delete().from(TunnelKey).execute();
}

/** Writes the backup's connector keys (after its hosts). */
export async function writeTunnelKeys(m: EntityManager, plan: BackupPlan): Promise<void> {
  if (plan.tunnelKeys.length === 0) return;
  await m.createQueryBuilder().insert().into(TunnelKey).values(plan.tunnelKeys).updateEntity(false).execute();
}
