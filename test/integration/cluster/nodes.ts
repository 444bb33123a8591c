/**
 * Cluster harness: several real App nodes (different `--node-name`) in this
 * process, each on 127.0.0.1:0, all on one database. Each node has its own
 * log buffer; the admin key is shared (it lives in the database).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { App } from '../../../lib/app.js';
import { resolveServerConfig, type ServerFlags } from '../../../lib/config/server-config.js';
import { createLogger } from '../../../lib/log.js';
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
  ssh(args: string[], opts?: RunOptions & { login?: string; key?: string }): Promise<RunResult>;
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
}

/** Generates an ed25519 key file. */
export function newKey(dir: string, name: string): string {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path], { stdio: 'ignore' });
  return path;
}

/** Starts one App node on `opts.db`. */
export async function startNode(opts: NodeOptions): Promise<Node> {
  const logs: string[] = [];
  const config = resolveServerConfig({
    bindAddress: '127.0.0.1:0', dbDriver: opts.db.flags.driver, dbConn: opts.db.flags.conn,
    logsLocation: join(opts.dir, opts.name, 'log'), nodeName: opts.name, ...opts.flags,
  }, { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: opts.token }, 'unused-hostname');
  const log = createLogger({ level: 'debug', format: config.logFormat, sink: (l) => { logs.push(l); if (process.env.PORTAL_LOGS) console.error(`[${opts.name}] ${l}`); } });
  const app = await App.start({ config, log, version: 'test' });
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

/** Polls `check` every 100 ms until it returns true (fails after `ms`). */
export async function waitFor(check: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
