/**
 * The restore generation: a setting of the portal's own (kept through a
 * restore, never written to a backup nor taken from one) that every restore
 * changes in its transaction. A backup reads the history tables after its
 * snapshot, a page at a time while its client downloads; a page read under
 * another generation than the snapshot's would mix two databases (a restore
 * on any node replaced the history meanwhile), so the backup stops there
 * rather than end as a complete-looking document of a cut trail.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { sqlOf, textOf } from '../sql.js';

/** The setting's name. */
export const restoreGenerationSetting = 'restore_generation';

/** The generation stored now ('' before the first restore). */
export async function restoreGeneration(m: EntityManager): Promise<string> {
  const row = (await sqlOf(m).rows('SELECT s.value FROM settings s WHERE s.name = ?', [restoreGenerationSetting])).at(0);
  return row === undefined ? '' : textOf(row.value);
}

/**
 * The generation a restore writes: a fresh random token, not a count. Two
 * restores open at once on two nodes each read the generation before the
 * other committed, so a count would come out the same from both, and a
 * backup whose snapshot fell between their commits would not see the second.
 */
export function nextGeneration(): string {
  return randomBytes(16).toString('hex');
}
