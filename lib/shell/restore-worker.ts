/**
 * Worker thread of `config restore`: parses and checks a backup document
 * (JSON.parse and the first validation pass, whose cost grows with the
 * input) away from the portal's event loop, under a memory limit of its own.
 * Answers with one message: the parsed plan, or why the document is refused.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseBackupText } from '../db/backup/restore.js';
import { InvalidArgumentError } from '../errors.js';
import { backupChecks } from './backup-checks.js';
import type { WorkerAnswer, WorkerInput } from './restore-parse.js';

const input = workerData as WorkerInput;
let answer: WorkerAnswer;
try {
  answer = { kind: 'plan', plan: parseBackupText(input.text, new Date(input.nowMs), backupChecks) };
} catch (err) {
  // Only a refusal's own words cross over; anything else is an internal error, logged by the caller.
  answer = err instanceof InvalidArgumentError ? { kind: 'invalid', message: err.message } : { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
}
parentPort?.postMessage(answer);
