import type { AuthContext, PublicKeyAuthContext } from 'ssh2';
import { fingerprintOf, type PublicKeyInfo } from '../crypto/ssh-keys.js';
import type { Database } from '../db/database.js';
import type { User } from '../db/entities/user.js';
import type { Host } from '../db/entities/host.js';
import { findInvitedUser, findUserByKey, keyIsBound } from '../db/identity.js';
import { findTunnelInvite, redeemTunnelInvite, tunnelKeyHosts } from '../db/queries/tunnels.js';
import { AppError, TunnelFullError, userMessage } from '../errors.js';
import { maxConnectorsPerHost, tooManyConnectors } from '../tunnel/registry.js';
import { isTunnelUrl } from '../routing/host-url.js';
import type { Logger } from '../log.js';
import type { LoginKind } from '../routing/login.js';
import { parsePublicKeyBlob } from '../ssh/signing-keys.js';
import { decidePublicKey, refusalMessage, type KeyFacts } from './auth-decision.js';

/** Who a connection proved to be. */
export type Identity =
  | { kind: 'healthcheck' }
  | { kind: 'user'; user: User; key: PublicKeyInfo }
  | { kind: 'invite'; token: string; key: PublicKeyInfo; authorizedKey: string }
  /** Another portal node, proven by the cluster key. */
  | { kind: 'peer'; node: string }
  /**
   * A reverse-tunnel connector, proven by a connector key: `host` is the one
   * its login named (or its invite enrolled), `hosts` every tunnel host the key
   * is bound to (what its forwards may name).
   */
  | { kind: 'connector'; key: PublicKeyInfo; host: Host; hosts: Host[]; enrolled: boolean };

/** Per-connection authentication state; `identity` is set once auth succeeds. */
export interface AuthState {
  readonly login: LoginKind;
  identity: Identity | null;
  refusals: string[];
  /** The user the last probe (an attempt without signature) found for its key, for the signed attempt that follows. */
  probed?: ProbedKey;
}

/** A probe's lookup: which key, whose it was, when (performance.now()). */
export interface ProbedKey {
  fingerprint: string;
  user: User | null;
  atMs: number;
}

/**
 * How long a probe's lookup answers the signed attempt of the same key:
 * OpenSSH signs as soon as the probe is accepted, and the lookup was a
 * quarter of a login's database work. A key removed in between is caught
 * as one removed just after the login: the revocation sweep ends the
 * connection within its interval (2 s ± 25 %, revocation.ts), with an event.
 */
const probeReuseMs = 2_000;

/** The user holding the key `fingerprint`; a signed attempt right after a probe of the same key takes the probe's answer. */
async function userOfKey(state: AuthState, deps: AuthDeps, fingerprint: string, signed: boolean): Promise<User | null> {
  const probed = state.probed;
  state.probed = undefined;
  if (signed && probed?.fingerprint === fingerprint && performance.now() - probed.atMs <= probeReuseMs) return probed.user;
  const user = await findUserByKey(deps.db.manager, fingerprint);
  if (!signed) state.probed = { fingerprint, user, atMs: performance.now() };
  return user;
}

/** What the authenticator needs. */
export interface AuthDeps {
  db: Database;
  log: Logger;
  now: () => Date;
  /** Fingerprint of the cluster key: the only key a `peer:` login accepts. */
  clusterFingerprint: string;
  /** Called for each refused signed attempt (audit; throttling unless `counted` is false). */
  onFailure(reason: string, fingerprint: string | null, counted?: boolean): void;
  /** The client's address (written into the enrollment event). */
  remoteAddr: string;
  /** How many connectors a tunnel host has across the cluster (a full host refuses a `tunnel:` login with one line). */
  connectorsOnline?(hostId: number): Promise<number>;
}

const methodsLeft: AuthContext['method'][] = ['publickey', 'keyboard-interactive'];

/**
 * The offered key in its one canonical form, or null. ssh2 parses a blob with
 * trailing bytes (or even in text form) as the same key, and the fingerprint
 * is taken over the bytes sent: one private key could be offered under any
 * number of fingerprints (enrolled by an invite apart from its real one, not
 * found by a revocation of the fingerprint `ssh-keygen -l` shows, a user key
 * passing for a new connector key). Only a blob that is exactly the key's
 * wire form counts, under the key's own type name (not the client's).
 */
function keyInfo(ctx: PublicKeyAuthContext): PublicKeyInfo | null {
  const parsed = parsePublicKeyBlob(ctx.key.data);
  if (!parsed || !parsed.getPublicSSH().equals(ctx.key.data)) return null;
  return { algo: parsed.type, blob: ctx.key.data.toString('base64'), fingerprint: fingerprintOf(ctx.key.data), comment: '' };
}

/** Verifies the signature of a signed public-key attempt. */
function signatureValid(ctx: PublicKeyAuthContext): boolean {
  if (!ctx.signature || !ctx.blob) return false;
  const parsed = parsePublicKeyBlob(ctx.key.data);
  if (!parsed) return false;
  // Only `true` proves the key: a failure comes back as an Error (a truthy value), whatever the typings say.
  const verdict: unknown = parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo);
  return verdict === true;
}

/** The tunnel hosts a key is a connector key of (only for connector logins: other logins never look). */
async function connectorHosts(state: AuthState, deps: AuthDeps, fingerprint: string): Promise<Host[]> {
  if (state.login.kind !== 'tunnel') return [];
  return (await tunnelKeyHosts(deps.db.manager, fingerprint)).filter((h) => isTunnelUrl(h.url));
}

async function keyFacts(state: AuthState, deps: AuthDeps, key: PublicKeyInfo, signed: boolean): Promise<{ facts: KeyFacts; user: User | null; hosts: Host[] }> {
  const m = deps.db.manager;
  const login = state.login;
  const user = login.kind === 'healthcheck' || login.kind === 'peer' || login.kind === 'tunnel' ? null : await userOfKey(state, deps, key.fingerprint, signed);
  const inviteValid = login.kind === 'invite' && (await findInvitedUser(m, login.token, deps.now())) !== null;
  const tunnelInviteValid = login.kind === 'tunnel-invite' && (await findTunnelInvite(m, login.token, deps.now())) !== null;
  const bound = user !== null || (login.kind === 'invite' && (await keyIsBound(m, key.fingerprint)));
  const hosts = await connectorHosts(state, deps, key.fingerprint);
  const connectorFor = login.kind === 'tunnel' && hosts.some((h) => h.name === login.host);
  return { facts: { bound, inviteValid, clusterKey: key.fingerprint === deps.clusterFingerprint, tunnelInviteValid, connectorFor }, user, hosts };
}

/** The identity a verified signature proves; throws (with a safe message) when an enrollment cannot complete. */
async function provenIdentity(state: AuthState, deps: AuthDeps, key: PublicKeyInfo, user: User | null, hosts: Host[]): Promise<Identity | null> {
  const login = state.login;
  switch (login.kind) {
    case 'peer':
      return { kind: 'peer', node: login.node };
    case 'invite':
      return { kind: 'invite', token: login.token, key, authorizedKey: `${key.algo} ${key.blob}` };
    case 'tunnel-invite': {
      // Redeemed only now, after the signature proved the key.
      const host = await redeemTunnelInvite(deps.db, login.token, key, deps.remoteAddr, deps.now());
      const all = (await tunnelKeyHosts(deps.db.manager, key.fingerprint)).filter((h) => isTunnelUrl(h.url));
      return { kind: 'connector', key, host, hosts: all, enrolled: true };
    }
    case 'tunnel': {
      const host = hosts.find((h) => h.name === login.host);
      // Checked here so the connector reads why; its forward is checked again (lib/tunnel).
      if (host && deps.connectorsOnline && (await deps.connectorsOnline(host.id)) >= maxConnectorsPerHost) throw new TunnelFullError(tooManyConnectors(host.name));
      return host ? { kind: 'connector', key, host, hosts, enrolled: false } : null;
    }
    case 'config':
    case 'host':
    case 'live':
    case 'healthcheck':
      return user ? { kind: 'user', user, key } : null;
    default: {
      const never: never = login;
      return never;
    }
  }
}

async function publicKey(ctx: PublicKeyAuthContext, state: AuthState, deps: AuthDeps): Promise<void> {
  const key = keyInfo(ctx);
  if (!key) {
    state.refusals.push('a key in no canonical form');
    ctx.reject(methodsLeft);
    return;
  }
  const { facts, user, hosts } = await keyFacts(state, deps, key, ctx.signature !== undefined);
  const decision = decidePublicKey(state.login, facts, key.fingerprint);
  if (decision.action === 'reject') {
    if (ctx.signature) deps.onFailure(decision.reason, key.fingerprint);
    state.refusals.push(decision.reason);
    ctx.reject(methodsLeft);
    return;
  }
  // The probe without a signature only says "this key would do": nothing is bound yet.
  if (!ctx.signature) { ctx.accept(); return; }
  if (!signatureValid(ctx)) {
    deps.onFailure('bad signature', key.fingerprint);
    state.refusals.push(`bad signature for key ${key.fingerprint}`);
    ctx.reject(methodsLeft);
    return;
  }
  let identity: Identity | null;
  try {
    identity = await provenIdentity(state, deps, key, user, hosts);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    // A full tunnel host is no guessing: its connector retrying must not put a whole site's address in cool-down.
    deps.onFailure(err.message, key.fingerprint, !(err instanceof TunnelFullError));
    state.refusals.push(userMessage(err));
    ctx.reject(methodsLeft);
    return;
  }
  if (identity) state.identity = identity;
  ctx.accept();
}

/**
 * Handles one authentication attempt. Only a signature-proven key identifies a
 * user; the healthcheck login needs nothing. Refusal reasons are collected and
 * shown once through keyboard-interactive, then the attempt is refused.
 */
export async function authenticate(ctx: AuthContext, state: AuthState, deps: AuthDeps): Promise<void> {
  if (state.login.kind === 'healthcheck') {
    state.identity = { kind: 'healthcheck' };
    ctx.accept();
    return;
  }
  switch (ctx.method) {
    case 'publickey':
      return publicKey(ctx, state, deps);
    case 'keyboard-interactive':
      ctx.prompt([], '', refusalMessage(state.refusals), () => ctx.reject(['publickey']));
      return;
    case 'none':
    case 'password':
    case 'hostbased':
      ctx.reject(methodsLeft);
      return;
    default: {
      const never: never = ctx;
      (never as AuthContext).reject();
    }
  }
}
