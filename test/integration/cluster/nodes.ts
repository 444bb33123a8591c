/**
 * Cluster harness: several real App nodes (different `--node-name`) in this
 * process, each on 127.0.0.1:0, all on one database. Each node has its own
 * log buffer; the admin key is shared (it lives in the database).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { App } from '../../../lib/app.js';
import type { ClusterTiming } from '../../../lib/cluster/index.js';
import type { ServerFlags } from '../../../lib/config/server-config.js';
import { SshKey } from '../../../lib/db/entities/index.js';
import { freshDb } from '../../support/databases.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { tempDir } from '../../support/tmp.js';
import { generateKey } from '../../support/keys.js';
import { startApp } from '../../support/portal.js';
import { ssh, sshOptions } from '../../support/openssh.js';
import type { RunOptions, RunResult } from '../../support/process.js';
import type { TestDb } from '../../support/databases.js';

/** One running node. */
export interface Node {
  name: string;
  app: App;
  port: number;
  logs: string[];
  /** Runs the real `ssh` against this node as `login` (default admin) with `key`. */
  ssh(args: string[], opts?: RunOptions & { login?: string; key?: string; extra?: string[] }): Promise<RunResult>;
  /** Starts `ssh login@node cmd` with stdin held open (ends when `stop()` closes it). */
  hold(login: string, cmd: string, key?: string): Held;
  close(): Promise<void>;
}

/** A running OpenSSH client whose stdin stays open. */
export interface Held {
  child: ChildProcessWithoutNullStreams;
  /** Everything received on stdout so far. */
  stdout(): string;
  /** Closes stdin and waits for the client to exit. */
  stop(): Promise<number | null>;
}

/** What a node needs besides its name. */
export interface NodeOptions {
  db: TestDb;
  name: string;
  /** Scratch directory (recordings go under `<dir>/<name>/log`). */
  dir: string;
  /** The first admin's invite token (the same on every node). */
  token: string;
  /** Private key file the helpers use by default. */
  adminKey: string;
  flags?: ServerFlags;
  /** Heartbeat interval and dead-after delay (default 10 s / 30 s). */
  clusterTiming?: ClusterTiming;
}

/** Generates an ed25519 key file; returns its path. */
export function newKey(dir: string, name: string): string {
  return generateKey(join(dir, name), name).path;
}

/** Starts one App node on `opts.db`. */
export async function startNode(opts: NodeOptions): Promise<Node> {
  const logs: string[] = [];
  const app = await startApp(opts.db, {
    logsLocation: join(opts.dir, opts.name, 'log'), flags: { nodeName: opts.name, ...opts.flags },
    env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: opts.token }, logs, label: opts.name, clusterTiming: opts.clusterTiming,
  });
  const port = app.port;
  return {
    name: opts.name, app, port, logs,
    ssh: (args, o = {}) => ssh(port, o.key ?? opts.adminKey, o.login ?? 'admin', args, o),
    hold(login, cmd, key = opts.adminKey) {
      const child = spawn('ssh', [...sshOptions(port, key), `${login}@127.0.0.1`, cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (s: string) => { out += s; });
      child.stderr.resume();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      return { child, stdout: () => out, stop: () => { child.stdin.end(); return exited; } };
    },
    close: () => app.close(),
  };
}

export { waitFor } from '../../support/wait.js';

/** Nodes on one fresh MariaDB database, the first admin enrolled, and one sshd target that trusts the portal's key. */
export interface Cluster {
  db: TestDb;
  dir: string;
  token: string;
  adminKey: string;
  /** The nodes, in the order of `names`; the admin was enrolled through the first. */
  nodes: Node[];
  target: SshdTarget;
  /** Stops the nodes, the target, drops the database and removes the scratch directory. */
  close(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Scratch directory prefix. */
  prefix: string;
  names: string[];
  clusterTiming?: ClusterTiming;
  /** Start the nodes one after another (default: together, racing migrations and bootstrap). */
  sequential?: boolean;
}

/** Starts {@link Cluster}: requires sshd and MariaDB (fails under CI=true, skips loudly elsewhere). */
export async function startCluster(ctx: Mocha.Context, opts: ClusterOptions): Promise<Cluster> {
  requireSshd(ctx);
  const db = await freshDb(ctx, 'mysql');
  const dir = tempDir(opts.prefix);
  const token = randomBytes(12).toString('hex');
  const adminKey = newKey(dir.path, 'admin_key');
  const base = { db, dir: dir.path, token, adminKey, clusterTiming: opts.clusterTiming };
  const nodes: Node[] = [];
  if (opts.sequential) for (const name of opts.names) nodes.push(await startNode({ ...base, name }));
  else nodes.push(...await Promise.all(opts.names.map((name) => startNode({ ...base, name }))));
  const first = nodes[0];
  if (!first) throw new Error('startCluster needs at least one node name');
  const enrolled = await first.ssh([], { login: `invite:${token}` });
  if (enrolled.code !== 0) throw new Error(`admin enrollment failed: ${enrolled.stderr}`);
  const portalKey = await first.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
  const target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
  return {
    db, dir: dir.path, token, adminKey, nodes, target,
    async close() {
      await Promise.all(nodes.map((n) => n.close()));
      await target.stop();
      await db.drop();
      dir.remove();
    },
  };
}
