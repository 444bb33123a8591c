import { inviteTokenRule, isStrongInviteToken } from '../../config/invite-token.js';
import { isEncrypted, type FieldCipher } from '../../crypto/field-cipher.js';
import { authorizedKeyOf, fingerprintOf, parsePrivateKey, parsePublicKey } from '../../crypto/ssh-keys.js';
import { hashToken, isTokenHash } from '../../crypto/tokens.js';
import { AppError, quoted } from '../../errors.js';
import { invalid } from './narrow.js';
import type { BackupChecks, BackupPlan, HostRow, KeyRow, UserKeyRow, UserRow } from './plan.js';
import { checkingWidths } from './widths.js';

/** How secrets of a restored backup are stored. */
export interface PrepareOptions {
  cipher: FieldCipher;
  /** `restore --decrypt`: store secrets in clear even with an AES key. */
  storeClear: boolean;
  now: Date;
  inviteTtlMs: number;
  /** Checks borrowed from feature folders (host URLs, ACL policy values). */
  checks: BackupChecks;
}

/** The clear text of a secret from a backup; encrypted values must be ours and readable. */
function reveal(stored: string, o: PrepareOptions, where: string): string {
  if (!isEncrypted(stored)) return stored;
  try {
    return o.cipher.decrypt(stored);
  } catch {
    throw invalid(where, "cannot decrypt this secret with the portal's --aes-key");
  }
}

/** What to store: an already encrypted value is kept as is (a restore round-trips), clear text is encrypted. */
function protect(stored: string, clear: string, o: PrepareOptions): string {
  if (o.storeClear) return clear;
  return isEncrypted(stored) ? stored : o.cipher.encrypt(clear);
}

/** The key material of an authorized_keys line (its second field), or the line when it has none. */
function keyBlob(line: string): string {
  return line.trim().split(/\s+/)[1] ?? line.trim();
}

/**
 * A key's private half is the truth: a public key or fingerprint the backup
 * gives that is not the private key's is replaced, with a warning (`key
 * inspect` would have shown, and admins installed on targets, a key the portal
 * never signs with).
 */
function prepareKey(k: KeyRow, o: PrepareOptions, warnings: string[]): void {
  const where = `keys ${quoted(k.name)}`;
  const clear = reveal(k.privKey, o, where);
  let pair;
  try {
    pair = parsePrivateKey(clear);
  } catch {
    throw invalid(where, 'invalid private key (a backup of a portal running with --aes-key must be made with --decrypt)');
  }
  k.privKey = protect(k.privKey, clear, o);
  if (k.pubKey !== '' && keyBlob(k.pubKey) !== keyBlob(pair.publicKey)) {
    warnings.push(`${where}: its PubKey is not its private key's: replaced with the private key's`);
    k.pubKey = '';
  }
  if (k.pubKey === '') k.pubKey = pair.publicKey;
  k.fingerprint = pair.fingerprint;
  if (k.type === '') k.type = pair.type;
  if (k.length === 0) k.length = pair.length;
}

/**
 * A host's address, user and URL: the URL is parsed even when Addr is set,
 * since it is what `host ls` and `host inspect` show (a password in it was
 * kept there in clear) and what marks a tunnel host. Where Addr or User
 * disagree with it, the URL's win, with a warning: the Go sshportal dialed the
 * URL whenever it had one (its Addr and User were left over from before
 * `host update --url`). A password in it moves out, stored as `host create`
 * stores one (encrypted), unless Password is set, which wins.
 */
function prepareHost(h: HostRow, o: PrepareOptions, warnings: string[]): void {
  const where = `hosts ${quoted(h.name)}`;
  if (h.addr === '' && h.url === '') throw invalid(where, 'a host needs Addr or URL');
  if (h.url !== '') {
    let target;
    try {
      target = o.checks.hostUrl(h.url);
    } catch (err) {
      // The checks' messages never quote a password (lib/routing/host-url.ts masks it).
      throw invalid(where, err instanceof AppError ? err.message : 'invalid URL');
    }
    if (h.addr !== '' && h.addr !== target.addr) warnings.push(`${where}: its Addr ${quoted(h.addr)} is not its URL's address ${quoted(target.addr)}: the URL's is kept (the one the Go sshportal dialed)`);
    if (h.user !== '' && h.user !== target.user) warnings.push(`${where}: its User ${quoted(h.user)} is not its URL's user ${quoted(target.user)}: the URL's is kept (the one the Go sshportal dialed)`);
    Object.assign(h, { addr: target.addr, user: target.user, url: target.url });
    if (h.password === null && target.password !== null) h.password = target.password;
  }
  if (h.user === '') h.user = 'root';
  if (h.url === '') h.url = `ssh://${encodeURIComponent(h.user)}@${h.addr}`;
  if (h.password !== null) h.password = protect(h.password, reveal(h.password, o, where), o);
}

/**
 * An invite is a login: a clear token (sshportal stored them so) must be as
 * strong as the shell demands of a chosen one, and is kept only as its hash;
 * no invite outlives the portal's --invite-ttl from now (a one-character token
 * expiring in 9999 restored and logged in as its admin). A hashed token cannot
 * be checked: it was the portal's own, held to the rule when it was made.
 */
function prepareUser(u: UserRow, o: PrepareOptions): void {
  if (u.inviteToken === '') return;
  if (!isTokenHash(u.inviteToken)) {
    // The token itself is never echoed: it is a secret.
    if (!isStrongInviteToken(u.inviteToken)) throw invalid(`users ${quoted(u.name)}`, `invalid invite token: ${inviteTokenRule}`);
    u.inviteToken = hashToken(u.inviteToken);
  }
  if (o.inviteTtlMs <= 0) return;
  const latest = o.now.getTime() + o.inviteTtlMs;
  if (u.inviteExpiresAt === null || u.inviteExpiresAt.getTime() > latest) u.inviteExpiresAt = new Date(latest);
}

function prepareUserKey(k: UserKeyRow): void {
  const where = `user_keys ${k.id}`;
  try {
    const info = parsePublicKey(k.key !== '' ? authorizedKeyOf(k.key) : k.authorizedKey);
    k.key = info.blob;
    k.fingerprint = fingerprintOf(Buffer.from(info.blob, 'base64'));
    if (k.authorizedKey === '') k.authorizedKey = `${info.algo} ${info.blob}`;
  } catch {
    throw invalid(where, 'invalid public key');
  }
}

/**
 * Second validation pass, the one that needs the portal's secrets: private keys
 * must parse (decrypting ours), passwords are (re)encrypted, clear invite tokens
 * hashed, user-key fingerprints computed (duplicates dropped with a warning);
 * then every string must fit its column (widths.ts). Yields after every row, so that a caller may let the event loop turn.
 */
function* preparing(p: BackupPlan, o: PrepareOptions): Generator<undefined, BackupPlan> {
  for (const k of p.keys) { prepareKey(k, o, p.warnings); yield; }
  for (const h of p.hosts) { prepareHost(h, o, p.warnings); yield; }
  for (const u of p.users) { prepareUser(u, o); yield; }
  const seen = new Set<string>();
  const kept: UserKeyRow[] = [];
  for (const k of p.userKeys) {
    prepareUserKey(k);
    if (seen.has(k.fingerprint)) p.warnings.push(`skipped user key ${k.id}: the same key is already bound`);
    else { seen.add(k.fingerprint); kept.push(k); }
    yield;
  }
  p.userKeys = kept;
  yield* checkingWidths(p);
  return p;
}

/** {@link preparing} at once (tests, small backups). */
export function prepareBackup(p: BackupPlan, o: PrepareOptions): BackupPlan {
  const steps = preparing(p, o);
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/** Rows prepared between two turns of the event loop (a private key costs ~20 µs, an RSA one more). */
const rowsPerTurn = 256;

/**
 * {@link preparing}, letting the event loop turn every {@link rowsPerTurn}
 * rows: 2M user keys took 41 s in one go, every session held meanwhile.
 */
export async function prepareBackupYielding(p: BackupPlan, o: PrepareOptions): Promise<BackupPlan> {
  const steps = preparing(p, o);
  for (let r = steps.next(), n = 1; ; r = steps.next(), n++) {
    if (r.done) return r.value;
    if (n % rowsPerTurn === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}
