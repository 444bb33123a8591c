import { mkdirSync } from 'node:fs';
import { Cluster, defaultTiming, type ClusterTiming } from './cluster/index.js';
import { nodeAddress } from './cluster/liveness.js';
import { cidrContains } from './config/cidr.js';
import type { ServerConfig } from './config/server-config.js';
import { parsePrivateKey } from './crypto/ssh-keys.js';
import { bootstrap } from './db/bootstrap.js';
import { setChainSigner } from './db/chain/append.js';
import { loadSigner } from './db/chain/signer.js';
import { openDatabase, type Database } from './db/database.js';
import { prepareSecrets } from './db/secrets.js';
import { exposedSqliteFiles } from './db/sqlite-files.js';
import { LiveHub, LiveService, livePeerHandlers, serveViewer } from './live/index.js';
import { Secret, type Logger } from './log.js';
import { applyPendingWriteFixes } from './ssh/pending-writes.js';
import { applySharedWindow } from './ssh/shared-window.js';
import { applyTransportBackpressure } from './ssh/transport-backpressure.js';
import { createPromMetrics, MetricsServer, noopMetrics, type Metrics } from './metrics/index.js';
import { nativeCryptoAvailable } from './proxy/crypto-check.js';
import type { RelayHandle } from './proxy/types.js';
import { defaultOutputLimits } from './server/backpressure.js';
import { startBastion } from './server/bastion.js';
import { handleConnection, type ConnectionDeps } from './server/connection.js';
import { Revocation } from './server/revocation.js';
import { defaultMaxConnections, openFilesLimit, openFilesShortfall } from './server/connection-limit.js';
import { defaultMaxUserConnections, PrincipalConnections } from './server/principal-limit.js';
import { StallLedger } from './proxy/stall-budget.js';
import type { StallLimits } from './proxy/stall-decision.js';
import { drainNotice, LiveConnections } from './server/drain.js';
import { AuthThrottle, defaultGuardLimits } from './server/guard.js';
import { SshListener, type Keepalive } from './server/listener.js';
import type { PortalFacts } from './shell/context.js';
import { Tunnels } from './tunnel/index.js';
import { orAfter } from './or-after.js';

/** What {@link App.start} needs. */
export interface AppOptions {
  config: ServerConfig;
  log: Logger;
  version: string;
  now?: () => Date;
  /** Heartbeat interval and dead-after delay (tests shorten them); default 10 s / 30 s. */
  clusterTiming?: ClusterTiming;
  /** Keepalive probes to clients (tests shorten them); default 15 s × 3. */
  keepalive?: Keepalive;
  /** Mean interval of the live-access re-check (default RECHECK_INTERVAL_MS; tests lengthen it to isolate the per-channel check). */
  revocationIntervalMs?: number;
  /** What stalled relayed channels may hold (tests shorten the waits and budgets). */
  stallLimits?: StallLimits;
  /** Viewers one live PTY session takes at most (default maxViewersPerSession, lib/live/hub.ts; tests lower it). */
  maxViewers?: number;
}


/** Where connectors reach this portal, as `host tunnel-invite` prints it: the node address, else a specific listen host. */
function portalAddress(config: ServerConfig, boundPort: number): { host: string | null; port: number } {
  if (config.nodeAddress?.host !== undefined) return { host: config.nodeAddress.host, port: config.nodeAddress.port };
  const wildcard = config.listen.host === undefined || config.listen.host === '0.0.0.0' || config.listen.host === '::';
  return { host: wildcard ? null : config.listen.host ?? null, port: boundPort };
}

/**
 * The composition root: builds every service, starts them, and closes them in
 * order (stop listening, end sessions, close the database).
 */
export class App {
  readonly db: Database;
  readonly #listener: SshListener;
  readonly #relays: Set<RelayHandle>;
  readonly #log: Logger;
  readonly #stopTimers: () => void;
  readonly #metricsServer: MetricsServer | null;
  readonly #cluster: Cluster;
  readonly #live: LiveConnections;
  readonly #tunnels: Tunnels;
  #closing: Promise<void> | null = null;
  #draining: Promise<void> | null = null;

  private constructor(db: Database, listener: SshListener, relays: Set<RelayHandle>, log: Logger, stopTimers: () => void, metricsServer: MetricsServer | null, live: LiveConnections, cluster: Cluster, tunnels: Tunnels) {
    this.#cluster = cluster;
    this.#tunnels = tunnels;
    this.#live = live;
    this.#metricsServer = metricsServer;
    this.#stopTimers = stopTimers;
    this.db = db;
    this.#listener = listener;
    this.#relays = relays;
    this.#log = log;
  }

  /** Opens the database, bootstraps it, and listens for SSH. */
  static async start(opts: AppOptions): Promise<App> {
    const { config, log } = opts;
    const now = opts.now ?? (() => new Date());
    if (!applyTransportBackpressure()) log.warn('ssh2 internals changed: channel writes do not wait for their transport (a peer that stops reading can grow memory)');
    if (!applyPendingWriteFixes()) log.warn('ssh2 internals changed: channel writes that waited for window are resumed as ssh2 does (a stderr write after a stdout one may be lost)');
    if (!applySharedWindow()) log.warn('ssh2 internals changed: a target channel\'s stdout and stderr do not share their window (a target may grow memory through the stream nobody reads)');
    if (!nativeCryptoAvailable()) log.warn('ssh2 native crypto binding is not loaded: AES-GCM throughput will be ~4x lower; reinstall with a C++ toolchain');
    if (config.db.driver === 'sqlite3') {
      for (const f of exposedSqliteFiles(config.db.path)) {
        log.warn('database file readable by other local users: it holds the host key and, without --aes-key, every target key; run chmod 600 on it', f);
      }
    }
    const db = await openDatabase(config.db, config.aesKey?.reveal() ?? null, {
      timeoutMs: config.dbTimeoutMs,
      onTimeout: (what) => log.warn(`database ${what} timed out: database unavailable`, { timeoutMs: config.dbTimeoutMs }),
    });
    let metricsServer: MetricsServer | null = null;
    let started: { listener: SshListener; cluster: Cluster } | null = null;
    try {
      const secrets = await prepareSecrets(db, config.aesKeyPrevious?.reveal() ?? null);
      if (secrets.rotated) log.info('secrets re-encrypted with the new --aes-key', { fields: secrets.converted });
      else if (secrets.converted > 0) log.info('secrets encrypted with --aes-key', { fields: secrets.converted });
      const boot = await bootstrap(db, { adminInviteToken: config.defaultAdminInviteToken?.reveal() ?? null });
      if (boot.adminInviteToken) {
        log.info(`'admin' user created, use the user 'invite:${boot.adminInviteToken}' to associate a public key with this account`);
      }
      setChainSigner(db.ds, await loadSigner(db, config.nodeName));
      mkdirSync(config.logsLocation, { recursive: true });
      const relays = new Set<RelayHandle>();
      let metrics: Metrics = noopMetrics;
      if (config.metricsListen) {
        const prom = createPromMetrics({ node: config.nodeName });
        metrics = prom.metrics;
        metricsServer = new MetricsServer(prom.registry, log);
        const m = await metricsServer.listen(config.metricsListen);
        log.info('metrics listening', { address: `http://${m.address}:${m.port}/metrics` });
      }
      const clusterKey = parsePrivateKey(boot.clusterPrivateKey);
      // The peers are reached through the cluster built just below (closures run later).
      const tunnels: Tunnels = new Tunnels({ self: config.nodeName, log, now, peers: {
        others: (): Promise<string[]> => cluster.otherNodes(),
        list: (node, hostIds) => cluster.request(node, { type: 'tunnel-list', hostIds }),
        open: (node, hostId, connectorId) => cluster.stream(node, { type: 'tunnel', hostId, connectorId }),
        drop: async (node, hostId, fingerprints) => (await cluster.request(node, { type: 'tunnel-drop', hostId, fingerprints })).dropped,
        count: async (node, hostId) => (await cluster.request(node, { type: 'tunnel-count', hostId })).count,
      } });
      const hostPublicKey = parsePrivateKey(boot.hostPrivateKey).publicKey.split(' ').slice(0, 2).join(' ');
      const portal: PortalFacts = { hostKey: hostPublicKey, host: null, port: 0 };
      const cluster: Cluster = new Cluster({
        tunnels,
        db, log, now, name: config.nodeName, version: opts.version, timing: opts.clusterTiming ?? defaultTiming,
        clusterKey: new Secret(boot.clusterPrivateKey), fingerprint: clusterKey.fingerprint,
        hostKeyBlob: Buffer.from(parsePrivateKey(boot.hostPrivateKey).publicKey.split(' ')[1] ?? '', 'base64'),
      });
      const revocation = new Revocation({ db, log, now, aclCheckCmd: config.aclCheckCmd, nodeName: config.nodeName, intervalMs: opts.revocationIntervalMs });
      const hub = new LiveHub(undefined, opts.maxViewers);
      const liveSessions = new LiveService({ hub, cluster, log, logsLocation: config.logsLocation });
      cluster.serveLive(livePeerHandlers({ hub, relays: cluster.live, db, log, node: config.nodeName, logsLocation: config.logsLocation }));
      const stalls = new StallLedger({ log, now: Date.now, limits: opts.stallLimits, metrics });
      const bastionDeps = { db, config, now, relays, metrics, revocation, live: cluster.live, tunnels, hub, stalls };
      const throttle = new AuthThrottle({ ...defaultGuardLimits, banAfter: config.maxAuthFailures, cooldownMs: config.authCooldownMs });
      const sweeper = setInterval(() => throttle.sweep(now().getTime()), 60_000);
      sweeper.unref();
      const live = new LiveConnections();
      const openFiles = openFilesLimit();
      const maxConnections = config.maxConnections ?? defaultMaxConnections(openFiles);
      const shortfall = openFilesShortfall(openFiles, { maxConnections, explicit: config.maxConnections !== null, maxStartups: config.maxStartups });
      if (shortfall !== null) log.warn(shortfall);
      const principals = new PrincipalConnections(config.maxUserConnections ?? defaultMaxUserConnections(maxConnections));
      // One for every connection (each keeps it for its life).
      const connectionDeps: ConnectionDeps = {
        db, log, config, version: opts.version, now, throttle, metrics, live, revocation, cluster, tunnels, portal, principals,
        bastion: (c, who, target, ctx) => startBastion(bastionDeps, c, who, target, ctx),
        liveSessions,
        viewer: (who, mode, session, s, ctx, guard) => serveViewer({ db, service: liveSessions, aclCheckCmd: config.aclCheckCmd, now },
          { channel: s.channel, pty: s.pty, user: who.user, remoteAddr: ctx.remoteAddr, log: ctx.log, guard }, mode, session),
      };
      const listener = new SshListener(boot.hostPrivateKey, (conn, info, control) => handleConnection(conn, info, control, connectionDeps), {
        loginGraceMs: config.loginGraceMs, maxStartups: config.maxStartups, maxConnections, output: defaultOutputLimits,
        ciphers: config.ciphers, throttle, now: () => now().getTime(), keepalive: opts.keepalive,
        trustedProxy: (ip) => config.trustedProxies.some((range) => cidrContains(range, ip)),
      }, log);
      const addr = await listener.listen(config.listen);
      Object.assign(portal, portalAddress(config, addr.port));
      started = { listener, cluster };
      await cluster.start(nodeAddress(config.nodeAddress, config.listen, addr.port));
      revocation.start();
      log.info('sshportal listening', { address: `${addr.address}:${addr.port}`, db: config.db.driver, version: opts.version, maxConnections, maxUserConnections: principals.max, openFiles: openFiles === Number.POSITIVE_INFINITY ? 'unlimited' : openFiles });
      return new App(db, listener, relays, log, () => { clearInterval(sweeper); revocation.stop(); stalls.close(); }, metricsServer, live, cluster, tunnels);
    } catch (err) {
      await started?.cluster.stop();
      await started?.listener.close();
      await metricsServer?.close();
      await db.close();
      throw err;
    }
  }

  /** The bound port of the `/metrics` endpoint, or null without `--metrics-address`. */
  get metricsPort(): number | null {
    return this.#metricsServer?.address().port ?? null;
  }

  /** The bound TCP port. */
  get port(): number {
    return this.#listener.address().port;
  }

  /** Connections open on the SSH port now, of any kind. */
  get connections(): number {
    return this.#listener.connections;
  }

  /**
   * Drains, then closes: new logins are refused and healthchecks answer a
   * failure (so load balancers move away), live users are told once that the
   * portal restarts, and the app closes when the last of them ended or
   * `timeoutMs` passed. Idempotent.
   */
  drain(timeoutMs: number): Promise<void> {
    this.#draining ??= (async () => {
      this.#log.info('draining', { timeoutMs, live: this.#live.size });
      this.#listener.startDraining();
      this.#live.startDraining(drainNotice(timeoutMs));
      const outcome = await orAfter(this.#live.whenEmpty().then(() => 'empty' as const), timeoutMs, 'timeout' as const);
      this.#log.info(outcome === 'empty' ? 'drained: the last session ended' : 'drain timeout passed', { live: this.#live.size });
      await this.close();
    })();
    return this.#draining;
  }

  /** Stops listening, ends every connection, closes the database. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopTimers();
      await this.#cluster.stop();
      const relays = [...this.#relays];
      for (const r of relays) r.close('the portal is shutting down');
      const listening = this.#listener.close();
      // Connectors go before the database: their disconnect events are still written.
      const connectors = this.#tunnels.close();
      // Relays flush their recordings and close their session rows before the database goes.
      await Promise.race([Promise.all(relays.map((r) => r.closed)), new Promise((r) => setTimeout(r, 3_000).unref())]);
      await listening;
      await connectors;
      await this.#metricsServer?.close();
      await this.#cluster.leave();
      await this.db.close();
      this.#log.info('sshportal stopped');
    })();
    return this.#closing;
  }
}
