import type { EntityManager } from 'typeorm';
import { InvalidArgumentError } from '../../errors.js';
import { Setting } from '../entities/index.js';
import { isPortalOwnSetting } from '../secrets.js';
import { parseBackup } from './parse.js';
import type { BackupChecks, BackupPlan } from './plan.js';
import { prepareBackup, prepareBackupYielding, type PrepareOptions } from './prepare.js';
import { writeBackup } from './write.js';

/**
 * The first pass over a backup document, the one whose cost grows with the
 * input (JSON syntax, shapes, values, references): pure, so that it can run
 * off the event loop (lib/shell/restore-parse.ts).
 */
export function parseBackupText(text: string, now: Date, checks: BackupChecks): BackupPlan {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('invalid backup: not a JSON document');
  }
  return parseBackup(doc, now, checks);
}

/**
 * Reads and validates a backup document completely, before anything is
 * written: JSON syntax, shapes, values, references, keys and secrets.
 */
export function planRestore(text: string, o: PrepareOptions): BackupPlan {
  return prepareBackup(parseBackupText(text, o.now, o.checks), o);
}

/**
 * The second pass over a parsed backup, the one that needs the portal's
 * secrets (keys, passwords, invites), letting the event loop turn between rows.
 */
export function completePlan(parsed: BackupPlan, o: PrepareOptions): Promise<BackupPlan> {
  return prepareBackupYielding(parsed, o);
}

/**
 * The plan without the backup's rows of this portal's own settings
 * ({@link isPortalOwnSetting}); a warning for each whose value differs from
 * this portal's (`current`: name → stored value), which it keeps. Pure.
 */
export function withoutOwnSettings(plan: BackupPlan, current: ReadonlyMap<string, string>): BackupPlan {
  const skipped = plan.settings.filter((s) => isPortalOwnSetting(s.name));
  if (skipped.length === 0) return plan;
  const differing = skipped.filter((s) => current.get(s.name) !== s.value);
  return {
    ...plan,
    settings: plan.settings.filter((s) => !isPortalOwnSetting(s.name)),
    warnings: [...plan.warnings, ...differing.map((s) => `the backup's setting '${s.name}' is not restored: it belongs to this portal, which keeps its own`)],
  };
}

/** This portal's own settings as stored (name → value). */
export async function ownSettings(m: EntityManager): Promise<Map<string, string>> {
  return new Map((await m.find(Setting)).filter((s) => isPortalOwnSetting(s.name)).map((s) => [s.name, s.value]));
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
