/**
 * Pure decisions of the reverse-tunnel registry: which host a connector's
 * `tcpip-forward` registers (and whether its key still may), and which
 * connector serves a new session.
 */

/** The addresses OpenSSH sends when `-R` names no bind address (or a wildcard): the login's host. */
const genericBinds = new Set(['', 'localhost', '127.0.0.1', '::1', '0.0.0.0', '::', '*']);

/** What a `tcpip-forward` request registers. */
export type BindDecision = { action: 'register'; hostId: number; hostName: string } | { action: 'refuse'; reason: string };

/** A tunnel host a connector key is bound to. */
export interface BoundHost { id: number; name: string }

/**
 * Decides the host a forward registers: `-R NAME:22:…` names one of the hosts
 * the key is bound to; a generic bind address (`-R 22:…`, `-R 0:…`) means the
 * host the login named. Anything else is refused: a connector registers only
 * the hosts its key is bound to. Pure.
 */
export function decideBind(bindAddr: string, loginHost: BoundHost, bound: readonly BoundHost[]): BindDecision {
  const named = bound.find((h) => h.name === bindAddr);
  if (named) return { action: 'register', hostId: named.id, hostName: named.name };
  if (genericBinds.has(bindAddr)) return { action: 'register', hostId: loginHost.id, hostName: loginHost.name };
  return { action: 'refuse', reason: `this connector key is not bound to a tunnel host named ${JSON.stringify(bindAddr.slice(0, 64))}` };
}

/** What a forward's second look at its key decides. */
export type KeyRecheck = { action: 'register'; hostId: number; hostName: string } | { action: 'refuse'; reason: string } | { action: 'drop'; reason: string };

/**
 * Checks a forward {@link decideBind} registered against the hosts its key is
 * bound to now (read again from the database, not those of the login): a key
 * no longer bound to the login's host ends the connection (revoked, or the
 * host removed); one no longer bound to the forward's host refuses the
 * forward. The host's name is the one it has now. Pure.
 */
export function recheckBind(decided: BoundHost, loginHostId: number, now: readonly BoundHost[]): KeyRecheck {
  if (!now.some((h) => h.id === loginHostId)) return { action: 'drop', reason: 'connector key revoked' };
  const host = now.find((h) => h.id === decided.id);
  if (!host) return { action: 'refuse', reason: `this connector key is no longer bound to tunnel host ${decided.name}` };
  return { action: 'register', hostId: host.id, hostName: host.name };
}

/** A connector as selection sees it. */
export interface Candidate {
  /** Node holding the connector. */
  node: string;
  /** Unique on its node. */
  id: number;
  /** When it last served a session (ms since epoch; its registration time when it never did). */
  lastUsed: number;
}

/**
 * Picks the connector for a new session: one on this node first (no extra
 * hop), then the least recently used, then the oldest id. Pure.
 */
export function selectConnector<C extends Candidate>(candidates: readonly C[], self: string): C | null {
  let best: C | null = null;
  for (const c of candidates) {
    if (!best) { best = c; continue; }
    const local = Number(c.node === self) - Number(best.node === self);
    if (local > 0 || (local === 0 && (c.lastUsed < best.lastUsed || (c.lastUsed === best.lastUsed && c.id < best.id)))) best = c;
  }
  return best;
}
