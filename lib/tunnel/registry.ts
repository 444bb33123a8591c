/**
 * This node's live reverse-tunnel connectors. A connector is one forward
 * (`tcpip-forward`) of one authenticated connector connection; the SSH side
 * (lib/server/connector.ts) hands each in with a handle that opens a
 * `forwarded-tcpip` channel on it. No ssh2 here.
 */
import type { Duplex } from 'node:stream';

/** Most live connectors one host may have, across the cluster. */
export const maxConnectorsPerHost = 4;

/** The refusal of one connector too many (one line, shown to the connector and logged). */
export function tooManyConnectors(hostName: string): string {
  return `tunnel host '${hostName}' already has ${maxConnectorsPerHost} connectors online`;
}

/**
 * What the SSH side gives for one registered forward. Ending its connection
 * (revoked keys, shutdown) goes through the connection, which may have no
 * forward at all (./connections.ts).
 */
export interface ConnectorHandle {
  /** Opens one `forwarded-tcpip` channel echoing the forward's bind address and port. */
  open(originAddr: string, originPort: number): Promise<Duplex>;
}

/** One live connector on this node. */
export interface LocalConnector {
  readonly id: number;
  readonly hostId: number;
  readonly hostName: string;
  readonly fingerprint: string;
  /** The connector's address as the portal sees it. */
  readonly remote: string;
  readonly since: Date;
  readonly bindAddr: string;
  readonly bindPort: number;
  /** When it last served a session (ms), for least-recently-used selection. */
  lastUsed: number;
  /** Set once its connection is gone: sessions through it report the connector lost. */
  closed: boolean;
  /** Counted but not yet serving: its cluster-wide count is being checked. */
  pending: boolean;
  readonly handle: ConnectorHandle;
}

/** A connector as every node describes it (node link answers, `host tunnels`). */
export interface ConnectorView {
  id: number;
  hostId: number;
  hostName: string;
  node: string;
  remote: string;
  /** ISO date of its registration. */
  since: string;
  fingerprint: string;
  lastUsed: number;
}

/** What a new connector registers with. */
export type ConnectorInput = Omit<LocalConnector, 'id' | 'lastUsed' | 'closed' | 'pending'>;

/** The live connectors of this node, by host. */
export class TunnelRegistry {
  #nextId = 1;
  readonly #byHost = new Map<number, LocalConnector[]>();

  /** Registers a connector, pending; returns an error message when its host already has the maximum on this node. */
  add(input: ConnectorInput): LocalConnector | string {
    const list = this.#byHost.get(input.hostId) ?? [];
    if (list.length >= maxConnectorsPerHost) return tooManyConnectors(input.hostName);
    const c: LocalConnector = { ...input, id: this.#nextId++, lastUsed: input.since.getTime(), closed: false, pending: true };
    list.push(c);
    this.#byHost.set(input.hostId, list);
    return c;
  }

  /** Forgets a connector (its connection closed or its forward was cancelled). */
  remove(c: LocalConnector): void {
    const list = (this.#byHost.get(c.hostId) ?? []).filter((x) => x !== c);
    if (list.length === 0) this.#byHost.delete(c.hostId);
    else this.#byHost.set(c.hostId, list);
  }

  /** How many connectors `hostId` has on this node, pending ones included. */
  count(hostId: number): number {
    return this.#byHost.get(hostId)?.length ?? 0;
  }

  /** Live connectors of `hostIds` (every host when null), pending ones included. */
  list(hostIds: readonly number[] | null): LocalConnector[] {
    if (hostIds === null) return [...this.#byHost.values()].flat();
    return hostIds.flatMap((id) => this.#byHost.get(id) ?? []);
  }

  /** The connector `id` of `hostId`, if live. */
  find(hostId: number, id: number): LocalConnector | undefined {
    return this.#byHost.get(hostId)?.find((c) => c.id === id);
  }
}

/** The view of a local connector. */
export function viewOf(c: LocalConnector, node: string): ConnectorView {
  return { id: c.id, hostId: c.hostId, hostName: c.hostName, node, remote: c.remote, since: c.since.toISOString(), fingerprint: c.fingerprint, lastUsed: c.lastUsed };
}
