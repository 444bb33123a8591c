import type { Command } from 'commander';
import { backupDocument, readBackup } from '../../db/backup/export.js';
import { applyRestore, completePlan, ownSettings, restoreSummary, withoutOwnSettings } from '../../db/backup/restore.js';
import { userExists } from '../../db/queries/users.js';
import { recordEvent } from '../../db/events.js';
import { ConflictError, InvalidArgumentError } from '../../errors.js';
import type { ShellContext } from '../context.js';
import { backupChecks } from '../backup-checks.js';
import { parseBackupOffLoop } from '../restore-parse.js';
import { jsonChunks } from '../render/json.js';
import { writePaced } from '../paced-output.js';
import { defineAuditCommands } from './audit.js';
import { act, change } from './common.js';

function defineBackup(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('backup').description('writes a backup (JSON) to standard output: ssh admin@portal config backup > sshportal.bkp')
    .option('--indent', 'uses indented JSON')
    .option('--decrypt', 'writes secrets in clear')
    .option('--ignore-events', 'leaves the audit trail out');
  act(cmd, ctx, ['admin'], async ({ opts }) => {
    // One consistent read (the growing tables a page at a time), then the conversion and the writing, pausing as they go.
    // The rows read are no one's once converted (no local holds them while the document is written).
    // A client that left stops the conversion at its next pause: nobody would read it.
    const doc = await backupDocument(await readBackup(ctx.deps.db, { ignoreEvents: opts.flag('ignoreEvents') }), {
      cipher: ctx.deps.db.cipher, decrypt: opts.flag('decrypt'), now: ctx.now(), abandoned: () => ctx.clientGone(),
    });
    if (doc !== null) await writePaced(ctx, jsonChunks(doc, !opts.flag('indent')));
  });
}

/** Warnings a restore prints at most; past them, one line says how many more there were. */
const maxWarningLines = 100;

/** A restore runs on this node at a time: each may hold gigabytes while it is checked (restore-parse.ts). */
let restoring = false;

async function restore(ctx: ShellContext, opts: { flag(name: string): boolean }, text: string): Promise<void> {
  const current = await ownSettings(ctx.deps.db.manager);
  const now = ctx.now();
  const parsed = await parseBackupOffLoop(text, now);
  const plan = withoutOwnSettings(await completePlan(parsed, { cipher: ctx.deps.db.cipher, storeClear: opts.flag('decrypt'), now, inviteTtlMs: ctx.deps.config.inviteTtlMs, checks: backupChecks }), current);
  ctx.out(restoreSummary(plan));
  for (const w of plan.warnings.slice(0, maxWarningLines)) ctx.err(`warning: ${w}\n`);
  if (plan.warnings.length > maxWarningLines) ctx.err(`warning: … and ${plan.warnings.length - maxWarningLines} more warnings\n`);
  if (!opts.flag('confirm')) {
    throw new InvalidArgumentError("restore erases and replaces everything in the database; the backup is valid: add --confirm to restore it");
  }
  const result = await change(ctx, async (m) => {
    const r = await applyRestore(m, plan);
    // The restored data may not contain the user running the restore.
    const authorId = (await userExists(m, ctx.who.user.id)) ? ctx.who.user.id : null;
    await recordEvent(m, {
      authorId, domain: 'config', action: 'restore', entity: '',
      args: { hosts: plan.hosts.length, users: plan.users.length, date: plan.date?.toISOString() },
    });
    return r;
  });
  ctx.out('Import done.\n');
  if (result.hostKeyChanged) ctx.err("warning: the portal's host key changed; restart the portal to serve it\n");
}

function defineRestore(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('restore').description('replaces everything with a backup read from standard input: ssh admin@portal config restore --confirm < sshportal.bkp')
    .option('--confirm', 'yes, replace everything with this backup')
    .option('--decrypt', 'stores secrets in clear even with an AES key');
  act(cmd, ctx, ['admin'], async ({ opts }) => {
    // Read first: an admin who never ends the input holds nothing.
    const text = await ctx.input.readBlock('Paste the backup and end with a blank line> ');
    if (restoring) throw new ConflictError('another restore is running on this node: try again once it is done');
    restoring = true;
    try {
      await restore(ctx, opts, text);
    } finally {
      restoring = false;
    }
  });
}

/** Registers `config`: backup and restore of the whole configuration, the audit key and the audit check. */
export function registerConfig(root: Command, ctx: ShellContext): void {
  const parent = root.command('config').description('manages the global configuration');
  defineBackup(parent, ctx);
  defineRestore(parent, ctx);
  defineAuditCommands(parent, ctx);
}
