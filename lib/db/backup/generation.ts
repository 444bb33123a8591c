/**
 * The restore generation: a setting of the portal's own (kept through a
 * restore, never written to a backup nor taken from one) that every restore
 * changes in its transaction. A backup reads the history tables after its
 * snapshot, a page at a time while its client downloads; a page read under
 * another generation than the snapshot's would mix two databases (a restore
 * on any node replaced the history meanwhile), so the backup stops there
 * rather than end as a complete-looking document of a cut trail.
 */
import type { EntityManager } from 'typeorm';
import { sqlOf, textOf } from '../sql.js';

/** The setting's name. */
export const restoreGenerationSetting = 'restore_generation';

/** The generation stored now ('0' before the first restore). */
export async function restoreGeneration(m: EntityManager): Promise<string> {
  const row = (await sqlOf(m).rows('SELECT s.value FROM settings s WHERE s.name = ?', [restoreGenerationSetting])).at(0);
  return row === undefined ? '0' : textOf(row.value);
}

/** The generation a restore writes after `current`: always different from it. Pure. */
export function nextGeneration(current: string): string {
  // 15 digits at most: one more is still a safe integer. Anything else (not written by a portal) starts again at 1.
  return String((/^\d{1,15}$/.test(current) ? Number(current) : 0) + 1);
}
