import { randomBytes } from 'node:crypto';
import { Host, HostGroup, SshKey } from '../../lib/db/entities/index.js';
import { startSshd, type SshdTarget } from './sshd.js';
import { join } from 'node:path';
import { App } from '../../lib/app.js';
import type { ClusterTiming } from '../../lib/cluster/index.js';
import { resolveServerConfig, type ServerFlags } from '../../lib/config/server-config.js';
import { createLogger, type LogLevel } from '../../lib/log.js';
import type { Keepalive } from '../../lib/server/listener.js';
import { drivers, freshDb, type TestDb } from './databases.js';
import { ssh } from './openssh.js';
import type { RunOptions, RunResult } from './process.js';
import { generateKey } from './keys.js';
import { tempDir } from './tmp.js';

/** A running portal for one suite, with an enrolled admin key. */
export interface Portal {
  app: App;
  port: number;
  db: TestDb;
  /** Log lines the portal wrote. */
  logs: string[];
  /** Scratch directory of the suite (keys, recordings under `log/`). */
  dir: string;
  /** Private key file bound to the `admin` user. */
  adminKey: string;
  /** Generates a new ed25519 key file in the suite's directory. */
  newKey(name: string): string;
  /** Runs the real `ssh` as `login` (default admin, with the admin key). */
  ssh(args: string[], opts?: RunOptions & { login?: string; key?: string | null; extra?: string[] }): Promise<RunResult>;
  close(): Promise<void>;
}

/** Options of {@link startPortal}. */
export interface PortalOptions {
  driver: (typeof drivers)[number];
  flags?: ServerFlags;
  /** Bind the admin invite to a key right away (default true). */
  enrollAdmin?: boolean;
  env?: Record<string, string>;
  /** Heartbeat interval and dead-after delay (default 10 s / 30 s). */
  clusterTiming?: ClusterTiming;
  /** Mean interval of the live-access re-check (App option, not a flag). */
  revocationIntervalMs?: number;
  /** Keepalive probes to clients (App option, not a flag). */
  keepalive?: Keepalive;
  /** Viewers one live session takes at most (App option, not a flag). */
  maxViewers?: number;
  /** Use this database (e.g. reached through a proxy) instead of a fresh one of `driver`; `close()` drops it. */
  db?: TestDb;
  /** Lowest level logged (default debug; measurements use info: per-packet debug lines cost CPU and memory). */
  logLevel?: LogLevel;
}

/** Options of {@link startApp}. */
export interface AppOptions {
  logsLocation: string;
  flags?: ServerFlags;
  env?: Record<string, string>;
  /** Receives every log line. */
  logs?: string[];
  /** Prefix of the lines echoed when PORTAL_LOGS is set. */
  label?: string;
  /** Heartbeat interval and dead-after delay (default 10 s / 30 s). */
  clusterTiming?: ClusterTiming;
  /** Mean interval of the live-access re-check (App option, not a flag). */
  revocationIntervalMs?: number;
  /** Lowest level logged (default debug). */
  logLevel?: LogLevel;
  /** Keepalive probes to clients (App option, not a flag). */
  keepalive?: Keepalive;
  /** Viewers one live session takes at most (App option, not a flag). */
  maxViewers?: number;
}

/** Starts the real App in-process on 127.0.0.1:0 on `db` (node name `test-node` unless flags say otherwise). */
export function startApp(db: TestDb, opts: AppOptions): Promise<App> {
  const config = resolveServerConfig({
    bindAddress: '127.0.0.1:0', dbDriver: db.flags.driver, dbConn: db.flags.conn, logsLocation: opts.logsLocation, ...opts.flags,
  }, { ...opts.env }, 'test-node');
  const prefix = opts.label ? `[${opts.label}] ` : '';
  const log = createLogger({ level: opts.logLevel ?? 'debug', format: config.logFormat, sink: (l) => {
    opts.logs?.push(l);
    if (process.env.PORTAL_LOGS) console.error(prefix + l);
  } });
  return App.start({ config, log, version: 'test', clusterTiming: opts.clusterTiming, revocationIntervalMs: opts.revocationIntervalMs, keepalive: opts.keepalive, maxViewers: opts.maxViewers });
}

/** Starts the real server in-process on 127.0.0.1:0 against a fresh database. */
export async function startPortal(ctx: Mocha.Context, opts: PortalOptions): Promise<Portal> {
  const db = opts.db ?? await freshDb(ctx, opts.driver);
  const dir = tempDir('sshportal-portal-');
  const logs: string[] = [];
  const token = randomBytes(12).toString('hex');
  const app = await startApp(db, {
    logsLocation: join(dir.path, 'log'), flags: opts.flags, env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: token, ...opts.env }, logs,
    clusterTiming: opts.clusterTiming,
    revocationIntervalMs: opts.revocationIntervalMs, logLevel: opts.logLevel, keepalive: opts.keepalive, maxViewers: opts.maxViewers,
  });
  const newKey = (name: string): string => generateKey(join(dir.path, name), name).path;
  const adminKey = newKey('admin_key');
  const portal: Portal = {
    app, port: app.port, db, logs, dir: dir.path, adminKey, newKey,
    ssh: (args, o = {}) => ssh(app.port, o.key === undefined ? adminKey : o.key, o.login ?? 'admin', args, o),
    async close() {
      await app.close();
      await db.drop();
      dir.remove();
    },
  };
  if (opts.enrollAdmin !== false) {
    const r = await portal.ssh([], { login: `invite:${token}` });
    if (r.code !== 0) {
      await portal.close();
      throw new Error(`admin enrollment failed: ${r.stderr}`);
    }
  }
  return portal;
}

export { drivers };

/**
 * Starts a real sshd that trusts the portal's key and registers it as host
 * `web01` in the default host group (which the bootstrap ACL opens to admins).
 */
export async function startWebTarget(portal: Portal): Promise<SshdTarget> {
  const m = portal.app.db.manager;
  const key = await m.findOneByOrFail(SshKey, { name: 'default' });
  const target = await startSshd({ authorizedKeys: [key.pubKey] });
  const hg = await m.findOneByOrFail(HostGroup, { name: 'default' });
  await m.save(m.create(Host, { name: 'web01', addr: `127.0.0.1:${target.port}`, user: target.user, groups: [hg] }));
  return target;
}

/** Runs `ssh admin@portal info` through real OpenSSH; throws unless it succeeded; resolves with how long it took, ms. */
export async function adminInfoMs(portal: Portal): Promise<number> {
  const t = Date.now();
  const r = await portal.ssh(['info'], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`info failed (${String(r.code)}): ${r.stderr}`);
  return Date.now() - t;
}
