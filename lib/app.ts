import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ServerConfig } from './config/server-config.js';
import { bootstrap } from './db/bootstrap.js';
import { openDatabase, type Database } from './db/database.js';
import type { Logger } from './log.js';
import type { RelayHandle } from './proxy/types.js';
import { startBastion } from './server/bastion.js';
import { handleConnection } from './server/connection.js';
import { SshListener } from './server/listener.js';

/** What {@link App.start} needs. */
export interface AppOptions {
  config: ServerConfig;
  log: Logger;
  version: string;
  now?: () => Date;
}

/** Whether ssh2's native crypto binding is loaded (without it AES-GCM is ~4× slower). */
function nativeCryptoLoaded(): boolean {
  try {
    const mod: unknown = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js');
    return typeof mod === 'object' && mod !== null && 'bindingAvailable' in mod && mod.bindingAvailable === true;
  } catch {
    return false;
  }
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
  #closing: Promise<void> | null = null;

  private constructor(db: Database, listener: SshListener, relays: Set<RelayHandle>, log: Logger) {
    this.db = db;
    this.#listener = listener;
    this.#relays = relays;
    this.#log = log;
  }

  /** Opens the database, bootstraps it, and listens for SSH. */
  static async start(opts: AppOptions): Promise<App> {
    const { config, log } = opts;
    const now = opts.now ?? (() => new Date());
    if (!nativeCryptoLoaded()) log.warn('ssh2 native crypto binding is not loaded: AES-GCM throughput will be ~4x lower; reinstall with a C++ toolchain');
    const db = await openDatabase(config.db, config.aesKey?.reveal() ?? null);
    try {
      const boot = await bootstrap(db, { adminInviteToken: config.defaultAdminInviteToken?.reveal() ?? null });
      if (boot.adminInviteToken) {
        log.info(`'admin' user created, use the user 'invite:${boot.adminInviteToken}' to associate a public key with this account`);
      }
      mkdirSync(config.logsLocation, { recursive: true });
      const relays = new Set<RelayHandle>();
      const bastionDeps = { db, config, now, relays };
      const listener = new SshListener(boot.hostPrivateKey, (conn, info) => handleConnection(conn, info, {
        db, log, config, version: opts.version, now,
        bastion: (c, who, target, ctx) => startBastion(bastionDeps, c, who, target, ctx),
      }), log);
      const addr = await listener.listen(config.listen);
      log.info('sshportal listening', { address: `${addr.address}:${addr.port}`, db: config.db.driver, version: opts.version });
      return new App(db, listener, relays, log);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** The bound TCP port. */
  get port(): number {
    return this.#listener.address().port;
  }

  /** Stops listening, ends every connection, closes the database. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const relays = [...this.#relays];
      for (const r of relays) r.close('the portal is shutting down');
      const listening = this.#listener.close();
      // Relays flush their recordings and close their session rows before the database goes.
      await Promise.race([Promise.all(relays.map((r) => r.closed)), new Promise((r) => setTimeout(r, 3_000).unref())]);
      await listening;
      await this.db.close();
      this.#log.info('sshportal stopped');
    })();
    return this.#closing;
  }
}
