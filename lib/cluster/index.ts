/**
 * The cluster substrate: this node's registry (heartbeat and reaper), its live
 * sessions, and the authenticated node link in both directions. Built once by
 * lib/app.ts; the server hands it `peer:` connections, the shell reads it.
 */
import type { Duplex } from 'node:stream';
import type { ClientChannel, Connection, ServerChannel } from 'ssh2';
import type { Database } from '../db/database.js';
import { activeSessionCounts, findNode, listNodes } from '../db/queries/nodes.js';
import { PeerLinkError } from '../errors.js';
import type { Logger, Secret } from '../log.js';
import { PeerLinks } from './link-client.js';
import { serveLink } from './link-server.js';
import { LiveSessions } from './live.js';
import { isAlive, splitAddress, type ClusterTiming } from './liveness.js';
import type { ConnectorView } from '../tunnel/registry.js';
import { maxListed, type AnsweredRequest, type PeerChannel, type PeerReply, type StreamRequest } from './protocol.js';
import { NodeRegistry } from './registry.js';

export { LiveSessions, type LiveRelay } from './live.js';
export type { AttachMode, StreamRequest } from './protocol.js';

/** What the node link serves about live PTY sessions and recordings (lib/live implements it). */
export interface LivePeerHandlers {
  /** Ends live session `sessionId` on this node; false when it is not live here. */
  stop(sessionId: number, by: string, reason: string | null): Promise<boolean>;
  /** Viewer counts of these sessions on this node (0 when not live here). */
  watchers(sessionIds: readonly number[]): number[];
  /** Serves a stream request (header line, then the stream); owns `ch`. */
  stream(req: StreamRequest, ch: ServerChannel, from: string): void;
}
export { defaultTiming, type ClusterTiming } from './liveness.js';

/** One line of `node ls`. */
export interface NodeStatus {
  id: number;
  name: string;
  address: string;
  version: string;
  startedAt: Date;
  heartbeatAt: Date;
  alive: boolean;
  activeSessions: number;
}

/** Live counters of a session, wherever it runs. */
export type LiveView =
  | { state: 'live'; node: string; bytesUp: number; bytesDown: number }
  /** The node answered: it relays no such session (it just ended, or the row is stale). */
  | { state: 'not-live'; node: string }
  /** The node could not be asked. */
  | { state: 'unreachable'; node: string; error: string };

/** What the admin shell sees of the cluster. */
export interface ClusterView {
  /** Every registered node with its liveness and active session count. */
  nodes(): Promise<NodeStatus[]>;
  /** The live byte counters of session `id` held by `node` (over the node link when it is another node). */
  liveCounters(node: string, id: number): Promise<LiveView>;
}

/** What the SSH server uses: the view, plus the serving side of the node link. */
export interface ClusterService extends ClusterView {
  /** Fingerprint of the cluster key: the only key a `peer:` login accepts. */
  readonly fingerprint: string;
  serve(conn: Connection, from: string, log: Logger): void;
}

/** What the node link serves of this node's reverse-tunnel connectors. */
export interface TunnelPeerService {
  localViews(hostIds: readonly number[] | null): ConnectorView[];
  /** Drops local connectors (revoked keys); returns how many. */
  dropLocal(hostId: number, fingerprints: readonly string[]): number;
  /** How many connectors of `hostId` this node holds, pending ones included. */
  localCount(hostId: number): number;
  openForPeer(hostId: number, connectorId: number): Promise<Duplex>;
}

/** What the cluster needs. */
export interface ClusterDeps {
  db: Database;
  log: Logger;
  now: () => Date;
  name: string;
  version: string;
  clusterKey: Secret;
  /** Fingerprint of the cluster key. */
  fingerprint: string;
  hostKeyBlob: Buffer;
  timing: ClusterTiming;
  /** This node's tunnel connectors (absent: none are served to other nodes). */
  tunnels?: TunnelPeerService;
}

/** The cluster service of one node. */
export class Cluster implements ClusterService {
  readonly live = new LiveSessions();
  readonly fingerprint: string;
  readonly #deps: ClusterDeps;
  readonly #links: PeerLinks;
  #registry: NodeRegistry | null = null;
  #livePeer: LivePeerHandlers | null = null;

  /** Builds the service; nothing runs before {@link start}, but incoming links can already be served. */
  constructor(deps: ClusterDeps) {
    this.#deps = deps;
    this.fingerprint = deps.fingerprint;
    this.#links = new PeerLinks({
      self: deps.name, clusterKey: deps.clusterKey, hostKeyBlob: deps.hostKeyBlob, log: deps.log,
      resolve: (node) => this.#resolve(node),
    });
  }

  /** Registers this node at `address` (`host:port` other nodes dial), reaps what dead nodes left, starts the heartbeat. */
  async start(address: string): Promise<void> {
    this.#registry = new NodeRegistry({ ...this.#deps, address, live: this.live });
    await this.#registry.start();
  }

  async #resolve(node: string): Promise<{ host: string; port: number } | string> {
    const row = await findNode(this.#deps.db.manager, node);
    if (!row) return `node ${node} is not registered`;
    if (!isAlive(row.heartbeatAt, this.#deps.now(), this.#deps.timing.deadAfterMs)) return `node ${node} is not alive`;
    return splitAddress(row.address) ?? `node ${node} has an invalid address`;
  }

  /** This node's name. */
  get name(): string { return this.#deps.name; }

  /** Plugs in what the link serves about live sessions (set once by lib/app.ts). */
  serveLive(handlers: LivePeerHandlers): void {
    this.#livePeer = handlers;
  }

  /** Sends a typed request to another node. */
  request<R extends AnsweredRequest>(node: string, req: R): Promise<PeerReply<R>> {
    return this.#links.request(node, req);
  }

  /** Opens a stream request on another node (see {@link StreamRequest}); the caller closes the channel. */
  open(node: string, req: StreamRequest): Promise<ClientChannel> {
    return this.#links.open(node, req);
  }

  /** Opens a typed stream channel to another node. */
  stream(node: string, req: PeerChannel): Promise<Duplex> {
    return this.#links.stream(node, req);
  }

  /** Names of the other nodes that are alive now. */
  async otherNodes(): Promise<string[]> {
    const now = this.#deps.now();
    return (await listNodes(this.#deps.db.manager))
      .filter((r) => r.name !== this.#deps.name && isAlive(r.heartbeatAt, now, this.#deps.timing.deadAfterMs))
      .map((r) => r.name);
  }

  serve(conn: Connection, from: string, log: Logger): void {
    serveLink(conn, from, {
      log, handle: (req) => this.#handle(req), stream: (req) => this.#stream(req),
      execStream: (req, ch, peer) => this.#execStream(req, ch, peer),
    });
  }

  #execStream(req: StreamRequest, ch: ServerChannel, from: string): void {
    if (this.#livePeer) return this.#livePeer.stream(req, ch, from);
    ch.write(JSON.stringify({ ok: false, error: 'this node serves no live sessions' }) + '\n');
    ch.exit(1);
    ch.end();
  }

  #stream(req: PeerChannel): Promise<Duplex> {
    // Tunnels are the only channel kind; a new kind fails to compile here until it is served.
    const kind: 'tunnel' = req.type;
    if (!this.#deps.tunnels) return Promise.reject(new PeerLinkError(`this node serves no ${kind}s`));
    return this.#deps.tunnels.openForPeer(req.hostId, req.connectorId);
  }

  #handle(req: AnsweredRequest): Promise<unknown> {
    switch (req.type) {
      case 'ping':
        return Promise.resolve({ node: this.#deps.name, version: this.#deps.version });
      case 'session-counters':
        return Promise.resolve(this.live.counters(req.sessionId));
      case 'tunnel-list':
        return Promise.resolve(this.#deps.tunnels?.localViews(req.hostIds).slice(0, maxListed) ?? []);
      case 'tunnel-drop':
        return Promise.resolve({ dropped: this.#deps.tunnels?.dropLocal(req.hostId, req.fingerprints) ?? 0 });
      case 'tunnel-count':
        return Promise.resolve({ count: this.#deps.tunnels?.localCount(req.hostId) ?? 0 });
      case 'session-stop':
        return (this.#livePeer?.stop(req.sessionId, req.by, req.reason) ?? Promise.resolve(false)).then((stopped) => ({ stopped }));
      case 'session-watchers':
        return Promise.resolve(this.#livePeer?.watchers(req.sessionIds) ?? req.sessionIds.map(() => 0));
      default: {
        const never: never = req;
        return never;
      }
    }
  }

  async nodes(): Promise<NodeStatus[]> {
    const m = this.#deps.db.manager;
    const [rows, counts] = await Promise.all([listNodes(m), activeSessionCounts(m)]);
    const now = this.#deps.now();
    return rows.map((r) => ({
      id: r.id, name: r.name, address: r.address, version: r.version, startedAt: r.startedAt, heartbeatAt: r.heartbeatAt,
      alive: isAlive(r.heartbeatAt, now, this.#deps.timing.deadAfterMs), activeSessions: counts.get(r.name) ?? 0,
    }));
  }

  async liveCounters(node: string, id: number): Promise<LiveView> {
    if (node === this.#deps.name) {
      const c = this.live.counters(id);
      return c ? { state: 'live', node, ...c } : { state: 'not-live', node };
    }
    try {
      const c = await this.#links.request(node, { type: 'session-counters', sessionId: id });
      return c ? { state: 'live', node, ...c } : { state: 'not-live', node };
    } catch (err) {
      if (!(err instanceof PeerLinkError)) throw err;
      return { state: 'unreachable', node, error: err.message };
    }
  }

  /** Stops the heartbeat and ends every outgoing link (first step of shutdown). */
  async stop(): Promise<void> {
    this.#links.close();
    await this.#registry?.stop();
  }

  /** Removes this node's row (last step before the database closes). */
  async leave(): Promise<void> {
    await this.#registry?.leave();
  }
}
