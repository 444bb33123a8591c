/**
 * Runs the first pass of `config restore` (lib/db/backup's parseBackupText)
 * in a worker thread: a backup is up to 256 MiB of an admin's input, and
 * parsing it on the event loop held every session for seconds (100,000 hosts:
 * 5 s) or, with millions of tiny objects, ran the whole portal out of memory.
 * The worker has its own heap limit and deadline; one runs at a time per node.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackupPlan } from '../db/backup/plan.js';
import { parseBackupText } from '../db/backup/restore.js';
import { backupChecks } from './backup-checks.js';
import { ConflictError, InvalidArgumentError } from '../errors.js';

/** What the worker is given. */
export interface WorkerInput {
  text: string;
  nowMs: number;
}

/** What the worker answers. */
export type WorkerAnswer =
  | { kind: 'plan'; plan: BackupPlan }
  | { kind: 'invalid'; message: string }
  | { kind: 'failed'; message: string };

/** Limits of the worker. */
export interface ParseLimits {
  /** Its heap (old generation), MiB. */
  heapMb: number;
  /** It is stopped past this. */
  deadlineMs: number;
}

/** Enough for the largest backup the shell reads (256 MiB of rows). */
export const defaultParseLimits: ParseLimits = { heapMb: 2048, deadlineMs: 300_000 };

/**
 * Documents up to this size are parsed on the event loop: at worst (tiny
 * objects) ~100 ms, less than a worker's start.
 */
export const inlineMaxChars = 256 * 1024;

let busy = false;

/**
 * How to start the worker: its compiled file next to this one, or, when this
 * module runs as TypeScript (tests, tsx), the .ts file through tsx's loader
 * (restore-worker-tsx.mjs: a worker does not inherit the parent's --import hooks).
 */
function spawnWorker(input: WorkerInput, limits: ParseLimits): Worker {
  const self = fileURLToPath(import.meta.url);
  const options = { workerData: input, resourceLimits: { maxOldGenerationSizeMb: limits.heapMb } };
  if (!self.endsWith('.ts')) return new Worker(new URL('./restore-worker.js', import.meta.url), options);
  return new Worker(new URL('./restore-worker-tsx.mjs', import.meta.url), options);
}

/**
 * Parses `text` off the event loop (a small one on it). Rejects with InvalidArgumentError for a
 * refused document (also when it needs more than the worker's memory or
 * time), ConflictError while another restore is being checked on this node,
 * and an Error for anything else.
 */
export function parseBackupOffLoop(text: string, now: Date, limits: ParseLimits = defaultParseLimits): Promise<BackupPlan> {
  if (text.length <= inlineMaxChars) {
    try {
      return Promise.resolve(parseBackupText(text, now, backupChecks));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
  if (busy) return Promise.reject(new ConflictError('another restore is being checked on this node: try again once it is done'));
  busy = true;
  return new Promise<BackupPlan>((resolve, reject) => {
    let worker: Worker;
    try {
      worker = spawnWorker({ text, nowMs: now.getTime() }, limits);
    } catch (err) {
      busy = false;
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    // The first outcome wins; it is delivered once the worker is gone, not merely told to stop (terminating
    // waits for a JSON.parse to end), so that the next restore never runs beside a dying one.
    let outcome: (() => void) | null = null;
    const decide = (fn: () => void): void => {
      if (outcome) return;
      outcome = fn;
      clearTimeout(timer);
      void worker.terminate();
    };
    const timer = setTimeout(() => decide(() => reject(new InvalidArgumentError(`invalid backup: not checked within ${String(limits.deadlineMs / 1000)} s`))), limits.deadlineMs);
    worker.once('message', (a: WorkerAnswer) => decide(() => {
      if (a.kind === 'plan') resolve(a.plan);
      else if (a.kind === 'invalid') reject(new InvalidArgumentError(a.message));
      else reject(new Error(a.message));
    }));
    worker.once('error', (err: Error & { code?: string }) => decide(() => reject(err.code === 'ERR_WORKER_OUT_OF_MEMORY'
      ? new InvalidArgumentError(`invalid backup: too large to check within ${String(limits.heapMb)} MiB of memory`)
      : err)));
    worker.once('exit', () => {
      clearTimeout(timer);
      busy = false;
      (outcome ?? (() => reject(new Error('the restore check stopped without an answer'))))();
    });
  });
}
