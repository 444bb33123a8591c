/**
 * A portal node in a child process (as in production), for tests that must
 * kill one with SIGKILL: nothing of it runs in the test's process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClusterTiming } from '../../lib/cluster/index.js';

/** What the child node is started with. */
export interface NodeProcessOptions {
  name: string;
  db: { driver: string; conn: string };
  logsLocation: string;
  env?: Record<string, string>;
  clusterTiming?: ClusterTiming;
}

/** A running child node. */
export interface NodeProcess {
  child: ChildProcess;
  port: number;
  /** SIGKILL: no shutdown code runs, like a crash or a power cut. */
  kill9(): Promise<void>;
  /** Clean shutdown (App.close), then the process exits. */
  stop(): Promise<void>;
}

/** Forks test/support/node-main.ts; resolves once the node listens (fails after 60 s or on an early exit). */
export function startNodeProcess(opts: NodeProcessOptions): Promise<NodeProcess> {
  const script = fileURLToPath(new URL('./node-main.ts', import.meta.url));
  const child = fork(script, [JSON.stringify(opts)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`node ${opts.name} did not start`)); }, 60_000);
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`node ${opts.name} exited early (${code ?? signal})`)); });
    child.on('message', (m: unknown) => {
      if (typeof m !== 'object' || m === null || !('port' in m) || typeof m.port !== 'number') return;
      clearTimeout(timer);
      resolve({
        child, port: m.port,
        kill9: () => { child.kill('SIGKILL'); return exited; },
        stop: () => {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          child.send({ stop: true });
          return exited;
        },
      });
    });
  });
}
