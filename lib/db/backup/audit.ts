/**
 * The audit chain in backups (extra keys only, so sshportal's format stays
 * readable): chain fields on events, seals on sessions, the checkpoints and
 * the public signing keys. A backup whose events carry no chain (sshportal's)
 * restores them outside the chain, which restarts after an `audit imported` marker.
 */
import type { EntityManager } from 'typeorm';
import { AuditCheckpoint, AuditKey } from '../entities/index.js';
import { recordEvent } from '../events.js';
import { count, date, MAX_ID, invalid, objects, string, textColumn, type Reader } from './narrow.js';
import type { BackupPlan, CheckpointRow, EventRow } from './plan.js';
import type { GoCheckpoint } from '../json/types.js';

const hexHash = /^[0-9a-f]{64}$/;
const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

function hash(r: Reader, key: string): string | null {
  const v = string(r, key);
  if (v === '') return null;
  if (!hexHash.test(v)) throw invalid(`${r.path}.${key}`, 'expected a hex SHA-256');
  return v;
}

/** The chain fields of an event (all null for an sshportal event). */
export function readChainFields(r: Reader): Pick<EventRow, 'seq' | 'prevHash' | 'hash' | 'chainAuthorId'> {
  const seq = count(r, 'Seq', MAX_ID) || null;
  const fields = { seq, prevHash: hash(r, 'PrevHash'), hash: hash(r, 'Hash'), chainAuthorId: count(r, 'ChainAuthorID') || null };
  if ((seq === null) !== (fields.hash === null) || (seq === null) !== (fields.prevHash === null)) {
    throw invalid(r.path, 'Seq, PrevHash and Hash go together');
  }
  return fields;
}

/** The seals of a session (`Seals`), as the column stores them. */
export function readSeals(r: Reader): string | null {
  const list = objects(r, 'Seals').map((s) => {
    // A file's length, kept inside the column's JSON: not an INT column.
    const length = count(s, 'length', Number.MAX_SAFE_INTEGER);
    const sha256 = hash(s, 'sha256');
    if (sha256 === null) throw invalid(`${s.path}.sha256`, 'expected a hex SHA-256');
    return { path: string(s, 'path'), length, sha256 };
  });
  return list.length > 0 ? textColumn(`${r.path}.Seals`, JSON.stringify(list)) : null;
}

function readCheckpoint(r: Reader): CheckpointRow {
  const c = hash(r, 'Hash');
  const publicKey = string(r, 'PublicKey');
  const signature = string(r, 'Signature');
  if (c === null || !base64.test(publicKey) || publicKey.length > 255 || !base64.test(signature) || signature.length > 255) {
    throw invalid(r.path, 'a checkpoint needs Hash, PublicKey and Signature');
  }
  return { id: count(r, 'ID', MAX_ID), createdAt: date(r, 'CreatedAt') ?? new Date(0), seq: count(r, 'Seq', MAX_ID), hash: c, node: string(r, 'Node'), publicKey, signature };
}

/** Checkpoints (`audit_checkpoints`) and public signing keys (`audit_keys`) of a backup. */
export function readAudit(doc: Reader): Pick<BackupPlan, 'checkpoints' | 'auditKeys'> {
  return {
    checkpoints: objects(doc, 'audit_checkpoints').map(readCheckpoint),
    auditKeys: objects(doc, 'audit_keys').map((r) => {
      const k = string(r, 'PublicKey');
      if (!base64.test(k) || k.length > 255) throw invalid(`${r.path}.PublicKey`, 'expected a base64 public key');
      return k;
    }),
  };
}

/** What a backup carries of the audit chain (nothing with `--ignore-events`). */
export async function exportAudit(m: EntityManager, ignoreEvents: boolean): Promise<{ checkpoints: GoCheckpoint[] | null; keys: { PublicKey: string }[] }> {
  const keys = (await m.find(AuditKey, { order: { id: 'ASC' } })).map((k) => ({ PublicKey: k.publicKey }));
  if (ignoreEvents) return { checkpoints: null, keys };
  const checkpoints = (await m.find(AuditCheckpoint, { order: { id: 'ASC' } })).map((c) => ({
    ID: c.id, CreatedAt: c.createdAt.toISOString(), Seq: c.seq, Hash: c.hash, Node: c.node, PublicKey: c.publicKey, Signature: c.signature,
  }));
  return { checkpoints, keys };
}

/**
 * Writes the chain part of a restore, after the events: the checkpoints of
 * the backup's chain; a backup without one gets the `imported` marker.
 * Public keys are added (never removed: older checkpoints may need them).
 */
export async function writeAudit(m: EntityManager, plan: BackupPlan): Promise<void> {
  for (const publicKey of plan.auditKeys) {
    if (!(await m.findOneBy(AuditKey, { publicKey }))) await m.insert(AuditKey, { publicKey, privateKey: null });
  }
  if (plan.events === null) return;
  await m.createQueryBuilder().delete().from(AuditCheckpoint).execute();
  if (plan.events.some((e) => e.seq !== null)) {
    for (const c of plan.checkpoints) await m.insert(AuditCheckpoint, { ...c, id: c.id || undefined });
    return;
  }
  if (plan.events.length > 0) {
    await recordEvent(m, { authorId: null, domain: 'audit', action: 'imported', entity: '',
      args: { events: plan.events.length, reason: 'the backup has no hash chain: its events are kept outside it' } });
  }
}
