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
import { Slots } from '../slots.js';
import { defineAuditCommands } from './audit.js';
import { act, change } from './common.js';

/**
 * How many backups run at once on this node (each holds the configuration's
 * rows and converted document: ~170 MB of heap at its peak for 10,000 hosts;
 * the audit trail is read as it is written, a page at a time), how many may
 * wait for a turn beyond them, and the least output a client must take to
 * keep its turn: 1 MiB every 5 minutes (a reader that never reads, or takes
 * a write now and then, would hold it for good). Tests lower them.
 */
export const backupLimits = { running: 2, waiting: 16, least: { ms: 5 * 60_000, chars: 1024 * 1024 } };

const backups = new Slots(backupLimits);

function defineBackup(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('backup').description('writes a backup (JSON) to standard output: ssh admin@portal config backup > sshportal.bkp')
    .option('--indent', 'uses indented JSON')
    .option('--decrypt', 'writes secrets in clear')
    .option('--ignore-events', 'leaves the audit trail out');
  act(cmd, ctx, ['admin'], async ({ opts }) => {
    const slot = await backups.take(() => ctx.clientGone(), (ahead) => {
      ctx.err(`note: at most ${backupLimits.running} backups run at once on this node; this one waits for a turn (${ahead} ahead of it in line)\n`);
    });
    if (!slot.taken) {
      if (slot.why === 'gone') return;
      throw new ConflictError(`too many backups on this node (${backups.held} running, ${backups.waiting} waiting): try again later`);
    }
    try {
      // One consistent read of the configuration, then the conversion and the writing, pausing as they go; the
      // audit trail is read as it is written. The rows read are no one's once converted (no local holds them while
      // the document is written). A client that left stops the conversion at its next pause: nobody would read it.
      const doc = await backupDocument(await readBackup(ctx.deps.db, { ignoreEvents: opts.flag('ignoreEvents') }), {
        cipher: ctx.deps.db.cipher, decrypt: opts.flag('decrypt'), now: ctx.now(), abandoned: () => ctx.clientGone(),
      });
      if (doc === null) return;
      const { least } = backupLimits;
      const end = await writePaced(ctx, jsonChunks(doc, !opts.flag('indent')), least);
      if (end === 'stalled') throw new ConflictError(`backup stopped: its client took less than ${Math.ceil(least.chars / 1024)} KiB of it in ${Number((least.ms / 1000).toFixed(1))} s`);
    } finally {
      slot.release();
    }
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
