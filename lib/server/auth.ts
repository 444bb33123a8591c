import ssh2 from 'ssh2';
import type { AuthContext, PublicKeyAuthContext } from 'ssh2';
import { fingerprintOf, type PublicKeyInfo } from '../crypto/ssh-keys.js';
import type { Database } from '../db/database.js';
import type { User } from '../db/entities/user.js';
import { findInvitedUser, findUserByKey, keyIsBound } from '../db/identity.js';
import type { Logger } from '../log.js';
import type { LoginKind } from '../routing/login.js';
import { decidePublicKey, refusalMessage } from './auth-decision.js';

/** Who a connection proved to be. */
export type Identity =
  | { kind: 'healthcheck' }
  | { kind: 'user'; user: User; key: PublicKeyInfo }
  | { kind: 'invite'; token: string; key: PublicKeyInfo; authorizedKey: string }
  /** Another portal node, proven by the cluster key. */
  | { kind: 'peer'; node: string };

/** Per-connection authentication state; `identity` is set once auth succeeds. */
export interface AuthState {
  readonly login: LoginKind;
  identity: Identity | null;
  refusals: string[];
}

/** What the authenticator needs. */
export interface AuthDeps {
  db: Database;
  log: Logger;
  now: () => Date;
  /** Fingerprint of the cluster key: the only key a `peer:` login accepts. */
  clusterFingerprint: string;
  /** Called for each refused signed attempt (audit, throttling). */
  onFailure(reason: string, fingerprint: string | null): void;
}

const methodsLeft: AuthContext['method'][] = ['publickey', 'keyboard-interactive'];

function keyInfo(ctx: PublicKeyAuthContext): PublicKeyInfo {
  return { algo: ctx.key.algo, blob: ctx.key.data.toString('base64'), fingerprint: fingerprintOf(ctx.key.data), comment: '' };
}

/** Verifies the signature of a signed public-key attempt. */
function signatureValid(ctx: PublicKeyAuthContext): boolean {
  if (!ctx.signature || !ctx.blob) return false;
  const parsed = ssh2.utils.parseKey(ctx.key.data);
  if (parsed instanceof Error || Array.isArray(parsed)) return false;
  return parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
}

async function publicKey(ctx: PublicKeyAuthContext, state: AuthState, deps: AuthDeps): Promise<void> {
  const key = keyInfo(ctx);
  const m = deps.db.manager;
  const peer = state.login.kind === 'peer';
  const user = state.login.kind === 'healthcheck' || peer ? null : await findUserByKey(m, key.fingerprint);
  const inviteValid = state.login.kind === 'invite' && (await findInvitedUser(m, state.login.token, deps.now())) !== null;
  const bound = user !== null || (state.login.kind === 'invite' && (await keyIsBound(m, key.fingerprint)));
  const clusterKey = key.fingerprint === deps.clusterFingerprint;
  const decision = decidePublicKey(state.login, { bound, inviteValid, clusterKey }, key.fingerprint);
  if (decision.action === 'reject') {
    if (ctx.signature) deps.onFailure(decision.reason, key.fingerprint);
    state.refusals.push(decision.reason);
    return ctx.reject(methodsLeft);
  }
  // The probe without a signature only says "this key would do": nothing is bound yet.
  if (!ctx.signature) return ctx.accept();
  if (!signatureValid(ctx)) {
    deps.onFailure('bad signature', key.fingerprint);
    state.refusals.push(`bad signature for key ${key.fingerprint}`);
    return ctx.reject(methodsLeft);
  }
  if (state.login.kind === 'peer') {
    state.identity = { kind: 'peer', node: state.login.node };
  } else if (state.login.kind === 'invite') {
    state.identity = { kind: 'invite', token: state.login.token, key, authorizedKey: `${key.algo} ${key.blob}` };
  } else if (user) {
    state.identity = { kind: 'user', user, key };
  }
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
    return ctx.accept();
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
      return ctx.reject(methodsLeft);
    default: {
      const never: never = ctx;
      (never as AuthContext).reject();
    }
  }
}
