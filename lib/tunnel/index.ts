/**
 * Reverse-tunnel hosts: the registry of live connectors, the choice of the one
 * that serves a session (this node first, then least recently used, on any
 * node), and the dial: a `forwarded-tcpip` channel on the connector's
 * connection, directly or through the node that holds it.
 */
import type { Duplex } from 'node:stream';
import { TunnelOfflineError, UpstreamError, userMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { ConnectorConnections } from './connections.js';
import { maxConnectorsPerHost, tooManyConnectors, TunnelRegistry, viewOf, type ConnectorInput, type ConnectorView, type LocalConnector } from './registry.js';
import { selectConnector } from './select.js';
import { orAfter } from '../or-after.js';

export { ConnectorConnections, revokes, type ConnectorConnection } from './connections.js';
export { maxConnectorsPerHost, tooManyConnectors, TunnelRegistry, type ConnectorHandle, type ConnectorInput, type ConnectorView, type LocalConnector } from './registry.js';
export { decideBind, recheckBind, selectConnector, type BindDecision, type BoundHost, type KeyRecheck } from './select.js';

/** How long a connector may take to accept or refuse the channel of a new session. */
export const connectorOpenTimeoutMs = 10_000;

/** Other nodes, as the node link reaches them (absent on a single node). */
export interface TunnelPeers {
  /** Names of the other live nodes. */
  others(): Promise<string[]>;
  list(node: string, hostIds: number[] | null): Promise<ConnectorView[]>;
  /** A byte stream to connector `connectorId` of `hostId` held by `node`. */
  open(node: string, hostId: number, connectorId: number): Promise<Duplex>;
  drop(node: string, hostId: number, fingerprints: string[]): Promise<number>;
  /** How many connectors of `hostId` `node` holds, pending ones included. */
  count(node: string, hostId: number): Promise<number>;
}

/** The upstream socket of a tunnel host. */
export interface TunnelSocket {
  stream: Duplex;
  /** Why the stream ended, when its connector went away (shown to the user). */
  lost(): string | undefined;
}

/** Every node's connectors, and the nodes that could not be asked. */
export interface ConnectorListing {
  connectors: ConnectorView[];
  unreachable: { node: string; error: string }[];
}

/** What the service needs. */
export interface TunnelDeps {
  /** This node's name. */
  self: string;
  log: Logger;
  now: () => Date;
  peers?: TunnelPeers;
}

/** The reverse-tunnel service of one node. */
export class Tunnels {
  readonly registry = new TunnelRegistry();
  /** Every connector connection of this node, forwards or not: what a revocation ends. */
  readonly connections = new ConnectorConnections();
  readonly #deps: TunnelDeps;

  constructor(deps: TunnelDeps) {
    this.#deps = deps;
  }

  /** This node's serving connectors as views (what the node link answers). */
  localViews(hostIds: readonly number[] | null): ConnectorView[] {
    return this.registry.list(hostIds).filter((c) => !c.pending).map((c) => viewOf(c, this.#deps.self));
  }

  /** How many connectors `hostId` has on this node, pending ones included (what the node link answers). */
  localCount(hostId: number): number {
    return this.registry.count(hostId);
  }

  /**
   * How many connectors `hostId` has on every node, pending ones included. A
   * node that cannot be asked counts none: its connectors serve nobody else
   * while the link is down, and refusing on a guess would lock hosts out.
   */
  async countAll(hostId: number): Promise<number> {
    let n = this.localCount(hostId);
    const peers = this.#deps.peers;
    if (!peers) return n;
    const counts = await Promise.all((await peers.others()).map((node) => peers.count(node, hostId).catch((err: unknown) => {
      this.#deps.log.warn('cannot count the tunnel connectors of another node', { node, err });
      return 0;
    })));
    for (const c of counts) n += c;
    return n;
  }

  /**
   * Registers a connector if its host stays within {@link maxConnectorsPerHost}
   * across the cluster; returns the refusal otherwise. Reserve, then count: the
   * connector is counted (pending, not serving) while the other nodes are
   * asked, so of two racing registrations at least one sees the other and the
   * cap is never passed (both may be refused; the connector retries).
   */
  async register(input: ConnectorInput): Promise<LocalConnector | string> {
    const c = this.registry.add(input);
    if (typeof c === 'string' || !this.#deps.peers) {
      if (typeof c !== 'string') c.pending = false;
      return c;
    }
    let total: number;
    try {
      total = await this.countAll(input.hostId);
    } catch (err) {
      this.registry.remove(c);
      throw err;
    }
    if (total > maxConnectorsPerHost) {
      this.registry.remove(c);
      return tooManyConnectors(input.hostName);
    }
    c.pending = false;
    return c;
  }

  /** Connectors of every node (this one first); nodes that cannot answer are listed apart. */
  async listAll(hostIds: number[] | null): Promise<ConnectorListing> {
    const out: ConnectorListing = { connectors: this.localViews(hostIds), unreachable: [] };
    const peers = this.#deps.peers;
    if (!peers) return out;
    const others = await peers.others();
    const answers = await Promise.all(others.map(async (node) => {
      try {
        return { node, views: await peers.list(node, hostIds), error: null };
      } catch (err) {
        return { node, views: [], error: userMessage(err) };
      }
    }));
    for (const a of answers) {
      if (a.error === null) out.connectors.push(...a.views.filter((v) => v.node === a.node));
      else out.unreachable.push({ node: a.node, error: a.error });
    }
    return out;
  }

  /** The connector that would serve a new session of `hostId`, or null when none is online anywhere. */
  async locate(hostId: number): Promise<ConnectorView | null> {
    const local = selectConnector(this.localViews([hostId]), this.#deps.self);
    if (local) return local;
    if (!this.#deps.peers) return null;
    const all = await this.listAll([hostId]);
    for (const u of all.unreachable) this.#deps.log.warn('cannot ask a node for its tunnel connectors', u);
    return selectConnector(all.connectors.filter((c) => c.hostId === hostId), this.#deps.self);
  }

  /** Opens the upstream socket of tunnel host `host`, through `route` when given (what {@link locate} found). */
  async open(host: { id: number; name: string }, route: ConnectorView | null): Promise<TunnelSocket> {
    const view = route ?? (await this.locate(host.id));
    if (!view) throw new TunnelOfflineError(host.name);
    const lostMessage = `connection to ${host.name} lost (connector disconnected)`;
    if (view.node === this.#deps.self) {
      const c = this.registry.find(host.id, view.id) ?? this.#pickLocal(host.id);
      if (!c) throw new TunnelOfflineError(host.name);
      return { stream: await this.openLocal(c), lost: () => (c.closed ? lostMessage : undefined) };
    }
    const peers = this.#deps.peers;
    if (!peers) throw new TunnelOfflineError(host.name);
    let stream: Duplex;
    try {
      stream = await peers.open(view.node, host.id, view.id);
    } catch (err) {
      // The link's words name the node's address: logged, not shown.
      this.#deps.log.warn('cannot reach a tunnel connector on another node', { host: host.name, node: view.node, err });
      throw new UpstreamError(`cannot reach the connector of ${host.name} on node ${view.node}`, { cause: err });
    }
    // The holding node relays bytes only; a stream that ends under a live session means its connector went away.
    return { stream, lost: () => lostMessage };
  }

  #pickLocal(hostId: number): LocalConnector | undefined {
    const v = selectConnector(this.localViews([hostId]), this.#deps.self);
    return v ? this.registry.find(hostId, v.id) : undefined;
  }

  /** Opens a channel on a local connector and marks it used; gives up after {@link connectorOpenTimeoutMs}. */
  async openLocal(c: LocalConnector): Promise<Duplex> {
    c.lastUsed = Math.max(this.#deps.now().getTime(), c.lastUsed + 1);
    const opening = c.handle.open('127.0.0.1', 0);
    // A connector that never answers the channel open would hold the user (and the dial) forever.
    try {
      const first = await orAfter(opening, connectorOpenTimeoutMs, 'timeout' as const);
      if (first !== 'timeout') return first;
    } catch (err) {
      throw new UpstreamError(`the connector of ${c.hostName} refused the connection: ${userMessage(err)}`, { cause: err });
    }
    // Its late answer finds nobody waiting.
    opening.then((ch) => ch.destroy(), () => undefined);
    this.#deps.log.warn('tunnel connector did not answer a channel open', { host: c.hostName, fingerprint: c.fingerprint, timeoutMs: connectorOpenTimeoutMs });
    throw new UpstreamError(`the connector of ${c.hostName} did not answer within ${connectorOpenTimeoutMs / 1000} s`);
  }

  /** Serves another node's request for a stream to connector `connectorId` of `hostId` (any connector of it when gone). */
  openForPeer(hostId: number, connectorId: number): Promise<Duplex> {
    const c = this.registry.find(hostId, connectorId) ?? this.#pickLocal(hostId);
    if (!c) return Promise.reject(new UpstreamError('no such connector on this node'));
    return this.openLocal(c);
  }

  /**
   * Drops every connector connection of this node (shutdown): their forwards
   * leave at once; waits, at most `timeoutMs`, for registrations in flight.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    this.connections.dropAll('the portal is shutting down');
    const until = Date.now() + timeoutMs;
    while (this.registry.list(null).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  /**
   * Drops this node's connector connections of `hostId` using `fingerprints`
   * (all when empty): those with a forward of it, and those logged in for it
   * that forward nothing yet. Returns how many connections.
   */
  dropLocal(hostId: number, fingerprints: readonly string[]): number {
    return this.connections.drop(hostId, fingerprints, 'connector key revoked');
  }

  /** Drops connector connections of `hostId` using `fingerprints` (all when empty) on every node; returns how many. */
  async dropAll(hostId: number, fingerprints: string[]): Promise<number> {
    let n = this.dropLocal(hostId, fingerprints);
    const peers = this.#deps.peers;
    if (!peers) return n;
    for (const node of await peers.others()) {
      try {
        n += await peers.drop(node, hostId, fingerprints);
      } catch (err) {
        this.#deps.log.warn('cannot drop the tunnel connectors of another node', { node, err });
      }
    }
    return n;
  }
}
