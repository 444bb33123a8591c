/**
 * Load generators of ssh2 clients, each in its own process (load-child.ts):
 * thousands of concurrent relayed sessions without thousands of OpenSSH
 * processes, and without loading the orchestrator's event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from './child.js';

/** A portal login of the generator: `login` is the SSH user name (the host), the key says who logs in. */
export interface LoadUser {
  login: string;
  privateKey: string;
}

/** What one generator opens. */
export interface LoadRequest {
  port: number;
  /** Sessions go round-robin over these logins. */
  users: LoadUser[];
  n: number;
  /** Sessions being opened at once by this generator. */
  concurrency: number;
  /** The exec command of each session; it must keep the channel open (e.g. `cat`). */
  command: string;
  /** A session without an open channel after this long counts as failed. */
  timeoutMs: number;
}

/** A generator's counts. */
export interface LoadStatus {
  /** Sessions open now. */
  open: number;
  /** Sessions that never opened (refused, timed out, errors). */
  failed: number;
  /** Sessions that were open and closed without being asked to. */
  lost: number;
  firstError: string | null;
}

/** One load generator process. */
export interface Loader {
  pid: number;
  /** Opens the sessions; resolves when each one opened or failed. */
  open(r: LoadRequest): Promise<LoadStatus>;
  status(): Promise<LoadStatus>;
  /** Closes every session and ends the process. */
  stop(): Promise<void>;
}

function reply<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && key in m) { child.off('message', on); resolve((m as Record<string, T>)[key]); }
    };
    child.on('message', on);
  });
}

/** Forks one generator; resolves once it is ready. */
export async function startLoader(): Promise<Loader> {
  const path = join(fileURLToPath(new URL('.', import.meta.url)), 'load-child.ts');
  const child = fork(path, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await reply(child, 'ready');
  return {
    pid: child.pid ?? 0,
    open: (r) => { const p = reply<LoadStatus>(child, 'opened'); child.send({ open: r }); return p; },
    status: () => { const p = reply<LoadStatus>(child, 'status'); child.send({ status: true }); return p; },
    stop: () => stopChild(child),
  };
}

/** The counts of several generators added up (the first error of the first that had one). */
export function sumStatus(all: readonly LoadStatus[]): LoadStatus {
  return {
    open: all.reduce((s, x) => s + x.open, 0),
    failed: all.reduce((s, x) => s + x.failed, 0),
    lost: all.reduce((s, x) => s + x.lost, 0),
    firstError: all.find((x) => x.firstError !== null)?.firstError ?? null,
  };
}
