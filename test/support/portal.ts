import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { App } from '../../lib/app.js';
import { resolveServerConfig, type ServerFlags } from '../../lib/config/server-config.js';
import { createLogger } from '../../lib/log.js';
import { drivers, freshDb, type TestDb } from './databases.js';
import { ssh } from './openssh.js';
import type { RunOptions, RunResult } from './process.js';
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
}

/** Starts the real server in-process on 127.0.0.1:0 against a fresh database. */
export async function startPortal(ctx: Mocha.Context, opts: PortalOptions): Promise<Portal> {
  const db = await freshDb(ctx, opts.driver);
  const dir = tempDir('sshportal-portal-');
  const logs: string[] = [];
  const token = randomBytes(12).toString('hex');
  const config = resolveServerConfig({
    bindAddress: '127.0.0.1:0', dbDriver: db.flags.driver, dbConn: db.flags.conn,
    logsLocation: join(dir.path, 'log'), ...opts.flags,
  }, { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: token, ...opts.env }, 'test-node');
  const log = createLogger({ level: 'debug', format: config.logFormat, sink: (l) => { logs.push(l); if (process.env.PORTAL_LOGS) console.error(l); } });
  const app = await App.start({ config, log, version: 'test' });
  const newKey = (name: string): string => {
    const path = join(dir.path, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path], { stdio: 'ignore' });
    return path;
  };
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
