/**
 * The canonical encoding of audit events and checkpoints (pure). Changing it
 * breaks every stored chain: add a new version tag instead.
 */
import { createHash } from 'node:crypto';

/** Previous hash of the first event of a chain. */
export const genesisHash = '0'.repeat(64);

/** The hashed fields of one event: every column `event inspect` shows, except the ones the database rewrites. */
export interface ChainedFields {
  seq: number;
  prevHash: string;
  createdAt: Date;
  /** The author as written (`author_id` may later become null when the user is removed). */
  chainAuthorId: number | null;
  domain: string;
  action: string;
  entity: string;
  args: string | null;
  deletedAt: Date | null;
}

/** The stable byte string hashed for an event: a JSON array in a fixed order, tagged with its version. */
export function canonicalEvent(e: ChainedFields): string {
  return JSON.stringify(['sshportal-event-v1', e.seq, e.prevHash, e.createdAt.toISOString(), e.chainAuthorId,
    e.domain, e.action, e.entity, e.args, e.deletedAt ? e.deletedAt.toISOString() : null]);
}

/** Hex SHA-256 of {@link canonicalEvent}. */
export function eventHash(e: ChainedFields): string {
  return createHash('sha256').update(canonicalEvent(e), 'utf8').digest('hex');
}

/** What a checkpoint signs. */
export interface CheckpointFields {
  seq: number;
  hash: string;
  node: string;
  createdAt: Date;
}

/** The bytes an ed25519 checkpoint signature covers. */
export function checkpointMessage(c: CheckpointFields): Buffer {
  return Buffer.from(JSON.stringify(['sshportal-checkpoint-v1', c.seq, c.hash, c.node, c.createdAt.toISOString()]), 'utf8');
}
