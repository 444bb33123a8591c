import type { LoginKind } from '../routing/login.js';

/** What the database says about an offered public key. */
export interface KeyFacts {
  /** The key belongs to a user. */
  bound: boolean;
  /** For invite logins: the token is valid and unexpired. */
  inviteValid: boolean;
  /** The key is the cluster key (only then may a `peer:` login pass). */
  clusterKey: boolean;
  /** For `host-invite:` logins: the token is valid, unused and unexpired. */
  tunnelInviteValid: boolean;
  /** For `tunnel:NAME` logins: the key is a connector key of that tunnel host. */
  connectorFor: boolean;
}

/** The answer to one public-key attempt. */
export type KeyDecision =
  | { action: 'accept' }
  | { action: 'reject'; reason: string };

/**
 * Decides a public-key attempt. `signed` is false for the probe OpenSSH sends
 * first ("would you accept this key?") and true only once the signature has
 * been verified: nothing is bound or opened on an unsigned attempt. Pure.
 */
export function decidePublicKey(login: LoginKind, facts: KeyFacts, fingerprint: string): KeyDecision {
  switch (login.kind) {
    case 'healthcheck':
      return { action: 'accept' };
    case 'invite':
      if (!facts.inviteValid) return { action: 'reject', reason: 'invalid or expired invite token' };
      if (facts.bound) return { action: 'reject', reason: `key ${fingerprint} is already associated with a user; use another key for this invite` };
      return { action: 'accept' };
    case 'tunnel-invite':
      if (!facts.tunnelInviteValid) return { action: 'reject', reason: 'invalid or expired host invite token' };
      if (facts.bound) return { action: 'reject', reason: `key ${fingerprint} is a user key; a connector needs its own key` };
      return { action: 'accept' };
    case 'tunnel':
      if (!facts.connectorFor) return { action: 'reject', reason: `key ${fingerprint} is not a connector key of tunnel host '${login.host}'; enroll it with 'host-invite:TOKEN'` };
      return { action: 'accept' };
    case 'peer':
      if (!facts.clusterKey) return { action: 'reject', reason: `key ${fingerprint} is not the cluster key: 'peer:' logins are for portal nodes only` };
      return { action: 'accept' };
    case 'config':
    case 'host':
    case 'live':
      if (!facts.bound) return { action: 'reject', reason: `unknown key ${fingerprint}: ask an administrator for an invite, then run 'ssh invite:TOKEN@<portal>'` };
      return { action: 'accept' };
    default: {
      const never: never = login;
      return never;
    }
  }
}

/**
 * The one line shown to a client whose every attempt failed (through a
 * keyboard-interactive message, the only text OpenSSH prints before giving up).
 */
export function refusalMessage(reasons: readonly string[]): string {
  if (reasons.length === 0) return 'error: this portal accepts public keys only; no key was offered';
  const unique = [...new Set(reasons)];
  return `error: ${unique.join('; ')}`;
}
