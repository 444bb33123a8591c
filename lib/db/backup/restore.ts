import type { EntityManager } from 'typeorm';
import { InvalidArgumentError } from '../../errors.js';
import { parseBackup } from './parse.js';
import type { BackupPlan } from './plan.js';
import { prepareBackup, type PrepareOptions } from './prepare.js';
import { writeBackup } from './write.js';

/**
 * Reads and validates a backup document completely, before anything is
 * written: JSON syntax, shapes, values, references, keys and secrets.
 */
export function planRestore(text: string, o: PrepareOptions): BackupPlan {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('invalid backup: not a JSON document');
  }
  return prepareBackup(parseBackup(doc, o.now, o.checks), o);
}

/** What a restore reports before writing (sshportal's summary lines). Pure. */
export function restoreSummary(p: BackupPlan): string {
  const lines = [
    `Loaded backup file (date=${p.date ? p.date.toISOString() : 'unknown'})`,
    `* ${p.acls.length} ACLs`,
    `* ${p.hostGroups.length} HostGroups`,
    `* ${p.hosts.length} Hosts`,
    `* ${p.keys.length} Keys`,
    `* ${p.userGroups.length} UserGroups`,
    `* ${p.userKeys.length} Userkeys`,
    `* ${p.users.length} Users`,
    `* ${p.settings.length} Settings`,
    `* ${p.sessions.length} Sessions`,
    p.events === null ? '* no Events (the current audit trail is kept)' : `* ${p.events.length} Events`,
  ];
  return lines.join('\n') + '\n';
}

/** Writes a validated plan, replacing everything, in the caller's transaction. */
export function applyRestore(m: EntityManager, plan: BackupPlan): Promise<{ hostKeyChanged: boolean }> {
  return writeBackup(m, plan);
}
