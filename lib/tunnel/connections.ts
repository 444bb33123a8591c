/**
 * This node's authenticated connector connections, with a forward or not:
 * what a revocation ends. A connection that sent no `tcpip-forward` yet has
 * no entry in the registry of connectors, but its key could register one at
 * any time; revoking the key (`host tunnel-revoke`, `host rm`) must end it
 * as well. No ssh2 here: the SSH side (lib/server/connector.ts) hands each
 * connection in with the function that ends it.
 */

/** One connector connection, as a revocation sees it. */
export interface ConnectorConnection {
  readonly fingerprint: string;
  /** The host its login named (`tunnel:NAME`, or the host its invite enrolled it for). */
  readonly loginHostId: number;
  /** Hosts it has a forward of, registered or being registered. */
  readonly forwarding: ReadonlySet<number>;
  /** Ends the connection for sure; its forwards leave the registry at once. */
  drop(reason: string): void;
}

/**
 * Whether revoking the keys `fingerprints` (every key when empty) of tunnel
 * host `hostId` ends connection `c`: it logged in for that host or forwards
 * it, with one of those keys. Pure.
 */
export function revokes(c: Omit<ConnectorConnection, 'drop'>, hostId: number, fingerprints: readonly string[]): boolean {
  const serves = c.loginHostId === hostId || c.forwarding.has(hostId);
  return serves && (fingerprints.length === 0 || fingerprints.includes(c.fingerprint));
}

/** The live connector connections of this node. */
export class ConnectorConnections {
  readonly #live = new Set<ConnectorConnection>();

  /** Tracks `c` until it is dropped here or `release` is called (its connection closed). */
  add(c: ConnectorConnection): { release(): void } {
    this.#live.add(c);
    return { release: () => { this.#live.delete(c); } };
  }

  /** How many connections are tracked. */
  get size(): number {
    return this.#live.size;
  }

  /** Drops the connections a revocation of `fingerprints` of `hostId` ends ({@link revokes}); returns how many. */
  drop(hostId: number, fingerprints: readonly string[], reason: string): number {
    return this.#dropWhere((c) => revokes(c, hostId, fingerprints), reason);
  }

  /** Drops every connection (shutdown); returns how many. */
  dropAll(reason: string): number {
    return this.#dropWhere(() => true, reason);
  }

  #dropWhere(doomed: (c: ConnectorConnection) => boolean, reason: string): number {
    const picked = [...this.#live].filter(doomed);
    for (const c of picked) {
      this.#live.delete(c);
      c.drop(reason);
    }
    return picked.length;
  }
}
