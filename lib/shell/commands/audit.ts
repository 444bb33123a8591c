import type { Command } from 'commander';
import { parseHead } from '../../audit/heads.js';
import { formatReport, verifyAudit } from '../../audit/verify.js';
import { signingPublicKey } from '../../db/chain/read.js';
import { publicKeyPem } from '../../db/chain/signer.js';
import { readSnapshot } from '../../db/read-only.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../errors.js';
import type { ShellContext } from '../context.js';
import { act } from './common.js';

/**
 * `config audit-key` and `config verify`: the audit trail's public key, and the
 * same check as `sshportal verify`, online.
 */
export function defineAuditCommands(parent: Command, ctx: ShellContext): void {
  const key = parent.command('audit-key')
    .description('prints the public key that signs audit checkpoints (PEM); keep a copy outside the portal for `sshportal verify --public-key`');
  act(key, ctx, ['admin'], async () => {
    const stored = await signingPublicKey(ctx.deps.db.manager);
    if (stored === null) throw new NotFoundError('this portal has no audit signing key yet');
    ctx.out(publicKeyPem(stored));
  });
  const verify = parent.command('verify')
    .description('checks the audit trail: event hash chain, signed checkpoints, recordings of closed sessions')
    .option('--head <SEQ:HASH>', 'also fail unless the chain still holds this head (printed after `head:` by an earlier verify)');
  act(verify, ctx, ['admin'], async ({ opts }) => {
    const text = opts.string('head');
    const head = text === undefined ? null : parseHead(text);
    if (text !== undefined && head === null) throw new InvalidArgumentError("--head expects SEQ:HASH, as printed after 'head:' by an earlier verify");
    const heads = head === null ? [] : [head];
    const report = await readSnapshot(ctx.deps.db.ds, (m) => verifyAudit(m, { logsDir: ctx.deps.config.logsLocation, trustedKeys: null, heads }));
    ctx.out(formatReport(report));
    if (report.problems.length > 0) throw new ConflictError('the audit trail does not verify (see FAILED above)');
  });
}
