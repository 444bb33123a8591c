/**
 * History listings over large rows (`npx tsx bench/history-ls.ts`): seeds a
 * SQLite portal database with events whose `args` are large (50 KB each by
 * default) and sessions with large `recordings`, `commands` and `seals` JSON
 * (and a long `err_msg` on every tenth), then times `event ls --limit 10000`
 * and `session ls --limit 10000` through runShell, each command in its own
 * process (forked, `--expose-gc`) so that its memory growth is its own.
 *
 * Per command: wall time (best and worst of BENCH_RUNS), the longest the event
 * loop was held (a 2 ms ticker's longest gap: what every other connection of
 * the portal waited; better-sqlite3 is synchronous), and over the first run
 * the growth of the process's peak RSS (resourceUsage().maxRSS) and of the
 * heap (the largest heapUsed seen, minus the figure after a GC before).
 *
 * Env: BENCH_EVENTS (default 20000), BENCH_ARGS_BYTES (50000), BENCH_SESSIONS
 * (10000), BENCH_JSON_BYTES (each of recordings/commands/seals, default 40000),
 * BENCH_RUNS (3), BENCH_COMMANDS (comma-separated), BENCH_DB (a database path:
 * seeded when absent, kept afterwards, reused as is when present, so that two
 * builds are measured on the same rows).
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveServerConfig } from '../lib/config/server-config.js';
import { bootstrap } from '../lib/db/bootstrap.js';
import { openDatabase, type Database } from '../lib/db/database.js';
import { silentLogger } from '../lib/log.js';
import type { ShellDeps } from '../lib/shell/index.js';
import { tempDir } from '../test/support/keys.js';
import { insertRows, runCommand, type CommandRun } from './shell-run.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const ARGS_BYTES = Number(process.env.BENCH_ARGS_BYTES ?? 50_000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const JSON_BYTES = Number(process.env.BENCH_JSON_BYTES ?? 40_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const COMMANDS = process.env.BENCH_COMMANDS?.split(',') ?? ['event ls --limit 10000', 'session ls --limit 10000'];
/** Rows per INSERT: a few MB of text per statement. */
const CHUNK = 100;
const aesKey = '0123456789abcdef';

/** A JSON array of `make(i)` items, about `bytes` long. */
function jsonArray(bytes: number, make: (i: number) => unknown): string {
  const items: string[] = [];
  let length = 2;
  for (let i = 0; length < bytes; i++) {
    const item = JSON.stringify(make(i));
    items.push(item);
    length += item.length + 1;
  }
  return `[${items.join(',')}]`;
}

/** A date string both drivers take, `i` seconds after 2024-01-01. */
function at(i: number): string {
  return new Date(Date.parse('2024-01-01T00:00:00Z') + i * 1000).toISOString().replace('T', ' ').replace('Z', '');
}

async function seed(db: Database): Promise<void> {
  // Large args: the head differs per row (what the listing shows), the rest is bulk.
  const bulk = 'x'.repeat(ARGS_BYTES);
  await insertRows(db, 'events', ['created_at', 'updated_at', 'author_id', 'domain', 'action', 'entity', 'args'], EVENTS,
    (i) => [at(i), at(i), 1, 'host', 'update', `host${i}`, JSON.stringify({ name: `host${i}`, comment: bulk }).slice(0, ARGS_BYTES)], CHUNK);
  const recordings = jsonArray(JSON_BYTES, (i) => `2024/01/01/session-${i}-${'r'.repeat(40)}.cast`);
  const commands = jsonArray(JSON_BYTES, (i) => `exec: tail -n ${i} /var/log/${'c'.repeat(40)}.log`);
  const seals = jsonArray(JSON_BYTES, (i) => ({ path: `2024/01/01/session-${i}.cast`, length: i * 1000, sha256: 'a'.repeat(64) }));
  const longError = `ssh: handshake failed: ${'e'.repeat(4000)}`;
  await insertRows(db, 'sessions', ['created_at', 'updated_at', 'stopped_at', 'status', 'user_id', 'host_id', 'err_msg', 'comment', 'node', 'remote_addr', 'recordings', 'commands', 'seals'], SESSIONS,
    (i) => [at(i), at(i), at(i + 60), 'closed', 1, null, i % 10 === 0 ? longError : null, '', 'n1', '10.0.0.1:5000', recordings, commands, seals], CHUNK);
}

/** One run of a command (see shell-run.ts). */
type Run = CommandRun;

/** What a measuring child reports. */
interface Report { command: string; runs: Run[]; rssGrowthMiB: number; heapGrowthMiB: number }

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** In the child: opens `path`, warms the shell up, then measures `command`. */
async function measure(path: string, command: string): Promise<Report> {
  const db = await openDatabase({ driver: 'sqlite3', path }, aesKey);
  try {
    const deps: ShellDeps = { db, log: silentLogger, config: resolveServerConfig({ dbConn: path }, {}), version: 'bench' };
    // Modules, statements and the shell's own first-use costs out of the figures.
    await runCommand(deps, db, `${command.split(' ')[0] ?? ''} ls --limit 1`);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.resourceUsage().maxRSS;
    const runs: Run[] = [await runCommand(deps, db, command)];
    const rssGrowthMiB = (process.resourceUsage().maxRSS - rssBefore) / 1024;
    const heapGrowthMiB = ((runs[0]?.peakHeap ?? 0) - heapBefore) / (1024 * 1024);
    for (let i = 1; i < RUNS; i++) { gc(); runs.push(await runCommand(deps, db, command)); }
    return { command, runs, rssGrowthMiB, heapGrowthMiB };
  } finally {
    await db.close();
  }
}

/** Runs {@link measure} in a fresh process. */
function measureInChild(path: string, command: string): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [JSON.stringify({ path, command })], {
      env: { ...process.env, ESBUILD_WORKER_THREADS: '0' }, execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve(m as Report));
    child.once('exit', (code) => reject(new Error(`measuring child exited (status ${code})`)));
  });
}

function print(r: Report): void {
  const ms = r.runs.map((x) => x.ms);
  const held = Math.max(...r.runs.map((x) => x.heldMs));
  console.log(`${r.command.padEnd(26)} best ${Math.min(...ms).toFixed(0).padStart(5)} ms  worst ${Math.max(...ms).toFixed(0).padStart(5)} ms  loop held ${held.toFixed(0).padStart(5)} ms`
    + `  peak RSS +${r.rssGrowthMiB.toFixed(0)} MiB  heap +${r.heapGrowthMiB.toFixed(0)} MiB  ${r.runs[0]?.bytes ?? 0} bytes (sha256 ${r.runs[0]?.digest ?? ''})  exit ${r.runs[0]?.code}`);
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_DB ? null : tempDir('sshportal-bench-');
  const path = process.env.BENCH_DB ?? join(dir?.path ?? '', 'bench.db');
  try {
    if (!existsSync(path)) {
      const db = await openDatabase({ driver: 'sqlite3', path }, aesKey);
      try {
        await bootstrap(db, { adminInviteToken: null });
        const t0 = performance.now();
        await seed(db);
        console.log(`seeded ${EVENTS} events (args ${ARGS_BYTES} bytes) and ${SESSIONS} sessions (recordings, commands, seals ~${JSON_BYTES} bytes each) in ${(performance.now() - t0).toFixed(0)} ms`);
      } finally {
        await db.close();
      }
    }
    for (const command of COMMANDS) print(await measureInChild(path, command));
  } finally {
    dir?.remove();
  }
}

if (process.argv[2]) {
  const { path, command } = JSON.parse(process.argv[2]) as { path: string; command: string };
  process.send?.(await measure(path, command));
  process.disconnect();
} else {
  await main();
}
