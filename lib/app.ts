import { mkdirSync } from 'node:fs';
import type { ServerConfig } from './config/server-config.js';
import { bootstrap } from './db/bootstrap.js';
import { setChainSigner } from './db/chain/append.js';
import { loadSigner } from './db/chain/signer.js';
import { openDatabase, type Database } from './db/database.js';
import { prepareSecrets } from './db/secrets.js';
import type { Logger } from './log.js';
import { createPromMetrics, MetricsServer, noopMetrics, type Metrics } from './metrics/index.js';
import { nativeCryptoAvailable } from './proxy/crypto-check.js';
import type { RelayHandle } from './proxy/types.js';
import { startBastion } from './server/bastion.js';
import { handleConnection } from './server/connection.js';
import { AuthThrottle, defaultGuardLimits } from './server/guard.js';
import { SshListener } from './server/listener.js';

/** What {@link App.start} needs. */
export interface AppOptions {
  config: ServerConfig;
  log: Logger;
  version: string;
  now?: () => Date;
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
  #closing: Promise<void> | null = null;

  private constructor(db: Database, listener: SshListener, relays: Set<RelayHandle>, log: Logger, stopTimers: () => void, metricsServer: MetricsServer | null) {
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
    if (!nativeCryptoAvailable()) log.warn('ssh2 native crypto binding is not loaded: AES-GCM throughput will be ~4x lower; reinstall with a C++ toolchain');
    const db = await openDatabase(config.db, config.aesKey?.reveal() ?? null);
    let metricsServer: MetricsServer | null = null;
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
      const bastionDeps = { db, config, now, relays, metrics };
      const throttle = new AuthThrottle({ ...defaultGuardLimits, banAfter: config.maxAuthFailures, cooldownMs: config.authCooldownMs });
      const sweeper = setInterval(() => throttle.sweep(now().getTime()), 60_000);
      sweeper.unref();
      const listener = new SshListener(boot.hostPrivateKey, (conn, info, control) => handleConnection(conn, info, control, {
        db, log, config, version: opts.version, now, throttle, metrics,
        bastion: (c, who, target, ctx) => startBastion(bastionDeps, c, who, target, ctx),
      }), { loginGraceMs: config.loginGraceMs, maxStartups: config.maxStartups, ciphers: config.ciphers, throttle, now: () => now().getTime() }, log);
      const addr = await listener.listen(config.listen);
      log.info('sshportal listening', { address: `${addr.address}:${addr.port}`, db: config.db.driver, version: opts.version });
      return new App(db, listener, relays, log, () => clearInterval(sweeper), metricsServer);
    } catch (err) {
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

  /** Stops listening, ends every connection, closes the database. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopTimers();
      const relays = [...this.#relays];
      for (const r of relays) r.close('the portal is shutting down');
      const listening = this.#listener.close();
      // Relays flush their recordings and close their session rows before the database goes.
      await Promise.race([Promise.all(relays.map((r) => r.closed)), new Promise((r) => setTimeout(r, 3_000).unref())]);
      await listening;
      await this.#metricsServer?.close();
      await this.db.close();
      this.#log.info('sshportal stopped');
    })();
    return this.#closing;
  }
}
