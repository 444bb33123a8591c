/**
 * `sshportal verify`: the offline audit verifier. Reads the database read-only
 * (the portal may be stopped), checks the event chain, the checkpoint
 * signatures and the recordings, prints `OK: …` (exit 0) or what is broken (exit 1).
 */
import { readFile, stat } from 'node:fs/promises';
import { parseHead, type KeptHead } from '../lib/audit/heads.js';
import { formatReport, verifyAudit } from '../lib/audit/verify.js';
import { resolveDbConfig } from '../lib/config/server-config.js';
import { assertAuditSchema } from '../lib/db/chain/read.js';
import { parsePublicKeys } from '../lib/db/chain/signer.js';
import { withReadOnlyDatabase } from '../lib/db/read-only.js';
import { ConfigError } from '../lib/errors.js';

/** Flags of `sshportal verify`. */
export interface VerifyFlags {
  dbDriver?: string;
  dbConn?: string;
  logsLocation?: string;
  publicKey?: string;
  /** A head printed by an earlier run (`SEQ:HASH`), kept outside the portal. */
  head?: string;
}

/** A public key file is a few hundred bytes; anything much larger is not one. */
const maxKeyFileBytes = 64 * 1024;

async function trustedKeys(path: string | undefined): Promise<string[] | null> {
  if (path === undefined) return null;
  let text: string;
  try {
    if ((await stat(path)).size > maxKeyFileBytes) throw new ConfigError('the --public-key file is too large to be a public key');
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('cannot read the --public-key file');
  }
  return parsePublicKeys(text);
}

/** The `--head` flag's head, or a clear error. */
export function headFlag(text: string | undefined): KeptHead[] {
  if (text === undefined) return [];
  const head = parseHead(text);
  if (head === null) throw new ConfigError(`invalid --head '${text.slice(0, 80)}': expected SEQ:HASH, as printed after 'head:' by an earlier verify`);
  return [head];
}

/** Runs the verifier; returns the process exit code (0 verified, 1 broken). */
export async function runVerify(flags: VerifyFlags, env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<number> {
  const db = resolveDbConfig({ dbDriver: flags.dbDriver, dbConn: flags.dbConn }, env);
  const logsDir = flags.logsLocation || env.SSHPORTAL_LOGS_LOCATION || null;
  const heads = headFlag(flags.head);
  const keys = await trustedKeys(flags.publicKey);
  const report = await withReadOnlyDatabase(db, async (m) => {
    await assertAuditSchema(m);
    return verifyAudit(m, { logsDir, trustedKeys: keys, heads });
  });
  out(formatReport(report));
  return report.problems.length === 0 ? 0 : 1;
}
