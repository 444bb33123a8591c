/**
 * A server under benchmark in its own process (as in production), driven over
 * IPC: it sends `{ port }` when listening, answers `{ rss: true }` with its RSS
 * (after a GC), `{ mem: true }` with its memory figures (after a GC), `{ snapshot: path }` by writing a heap snapshot
 * there, `{ cpu: true }` with its CPU time, `{ lag: true }` with its event-loop delay since the last such question (the first starts measuring),
 * and stops on `{ stop: true }`. Used by run.ts (relay front), scale.ts and session-memory.ts (the real portal).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { MALLOC_TUNING } from '../lib/server/malloc.js';

/**
 * A server's memory after a GC, bytes (process.memoryUsage()); `newSpace`: the
 * resident part of V8's young generation, which is sized for the process, not
 * per session, and pages in as allocation goes through it.
 */
export interface MemoryFigures { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number; newSpace: number }

/** A running benchmark server process. */
export interface BenchProcess {
  child: ChildProcess;
  port: number;
  /** RSS after a GC, MiB. */
  rss(): Promise<number>;
  /** Memory figures after a GC, bytes. */
  mem(): Promise<MemoryFigures>;
  /** Writes a heap snapshot of the process to `path`. */
  snapshot(path: string): Promise<void>;
  /** CPU seconds (user + system) the process used so far. */
  cpu(): Promise<number>;
  /** Event-loop delay since the previous call (or the start), ms. */
  lag(): Promise<LoopDelay>;
  /**
   * What the process is doing, for a failure's message when it stopped
   * answering: its scheduler state, the system call it waits in, and its
   * JavaScript stack through the inspector (SIGUSR1: works while JavaScript
   * spins; none while a system call blocks the main thread).
   */
  diagnose(): Promise<string>;
  /** File descriptors the process holds now (Linux). */
  fds(): number;
  stop(): Promise<void>;
}

/** Event-loop delay percentiles, ms. */
export interface LoopDelay { p50: number; p99: number; max: number }

/** Forks `bench/<script>` with `cfg` as a JSON argument; resolves once it reports its port. RSS is in MiB. */
export function startBenchProcess(script: string, cfg: unknown): Promise<BenchProcess> {
  // BENCH_COMPILED=<dir>: the server runs from JavaScript compiled there (tsc, as `npm run build`), not through tsx.
  const js = process.env.BENCH_COMPILED ? join(process.env.BENCH_COMPILED, 'bench', script.replace(/\.ts$/, '.js')) : undefined;
  const compiled = js !== undefined && existsSync(js);
  const path = compiled ? js : join(fileURLToPath(new URL('.', import.meta.url)), script);
  // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops (see the README).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  // BENCH_NODE_FLAGS: extra V8/Node flags for the server process (to compare GC settings).
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  // BENCH_EXEC_PATH: runs the server through this executable instead of node (a wrapper such as heaptrack's).
  // ESBUILD_WORKER_THREADS=0: under tsx, a synchronous transform (a module first loaded through require) waits on
  // esbuild's worker thread with Atomics.wait and no timeout; without the worker it runs esbuild as a child and fails
  // instead. (Once suspected of the portal's main thread stuck in a futex during a login burst; that was Node's key
  // export deadlock, see lib/ssh/kex-keys.ts.)
  // glibc's malloc tuning, as `npm start` and the Docker image run the server (lib/server/malloc.ts); BENCH_MALLOC=default
  // leaves glibc's defaults, to compare. A variable of the caller's own environment wins.
  const malloc = process.env.BENCH_MALLOC === 'default' ? {} : MALLOC_TUNING;
  const env = { ...malloc, ...process.env, ESBUILD_WORKER_THREADS: '0' };
  const child = fork(path, [JSON.stringify(cfg)], { env, execPath: process.env.BENCH_EXEC_PATH ?? process.execPath, execArgv: [...(compiled ? [] : ['--import', 'tsx']), '--expose-gc', ...prof, ...extra], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>(key: string): Promise<T> => new Promise((resolve) => {
    const on = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && key in m) { child.off('message', on); resolve((m as Record<string, T>)[key]); }
    };
    child.on('message', on);
  });
  // A message to a child that died is dropped (the caller's own wait then tells), not an unhandled 'error'.
  child.on('error', () => undefined);
  // A child that dies before it listens (a crash at start), or does not listen in time, fails the caller instead of leaving it waiting.
  const died = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`bench/${script} exited before listening (${signal ?? `status ${code}`})`)));
  });
  died.catch(() => undefined);
  let startTimer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    startTimer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`bench/${script} did not listen within ${startTimeoutMs / 1000} s: killed`)); }, startTimeoutMs);
  });
  late.catch(() => undefined);
  return Promise.race([next<number>('port'), died, late]).finally(() => clearTimeout(startTimer)).then((port) => ({
    child,
    port,
    rss: () => { const p = next<number>('rss'); child.send({ rss: true }); return p.then((b) => b / (1024 * 1024)); },
    mem: () => { const p = next<MemoryFigures>('mem'); child.send({ mem: true }); return p; },
    snapshot: (path: string) => { const p = next<string>('snapshot'); child.send({ snapshot: path }); return p.then(() => undefined); },
    cpu: () => { const p = next<number>('cpu'); child.send({ cpu: true }); return p.then((us) => us / 1e6); },
    lag: () => { const p = next<LoopDelay>('lag'); child.send({ lag: true }); return p; },
    diagnose: () => diagnose(child.pid ?? 0),
    fds: () => readdirSync(`/proc/${child.pid ?? 0}/fd`).length,
    stop: () => stopChild(child),
  }));
}

/** Reads a /proc file of `pid`, or says why not. */
function procText(pid: number, file: string): string {
  try { return readFileSync(`/proc/${pid}/${file}`, 'utf8').trim(); } catch (err) { return `(${err instanceof Error ? err.message : String(err)})`; }
}

/**
 * A field of a /proc `stat` file of `pid` (`stat`, or `task/TID/stat`), counted after the parenthesized name:
 * 0 the state (R running, S sleeping, D in uninterruptible I/O), 1 the parent's pid.
 */
function statField(pid: number, file: string, index: number): string {
  return procText(pid, file).replace(/^.*\) /, '').split(' ')[index] ?? '';
}

/** See {@link BenchProcess.diagnose}. */
async function diagnose(pid: number): Promise<string> {
  const state = statField(pid, 'stat', 0);
  const head = `pid ${pid}: state ${state}, wchan ${procText(pid, 'wchan')}, syscall ${procText(pid, 'syscall').split(' ')[0]}`;
  // Node's debugger client attaches by pid (SIGUSR1 opens the inspector), pauses the main thread and prints its stack.
  const dbg = spawn(process.execPath, ['inspect', '-p', String(pid)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  dbg.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  dbg.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  dbg.stdin.on('error', () => undefined);
  const say = (ms: number, line: string): NodeJS.Timeout => setTimeout(() => dbg.stdin.write(`${line}\n`), ms);
  const timers = [say(1_500, 'pause'), say(3_000, 'bt'), say(4_000, '.exit'), setTimeout(() => dbg.kill('SIGKILL'), 6_000)];
  await new Promise((resolve) => dbg.once('exit', resolve));
  for (const t of timers) clearTimeout(t);
  const stack = out.split('\n').map((l) => l.replace(/^(debug> )+/, '')).filter((l) => /^#\d+ /.test(l));
  const js = stack.length > 0 ? ['JavaScript stack:', ...stack.slice(0, 25)] : ['no JavaScript stack (the main thread does not run JavaScript: a blocking call?)'];
  return [head, ...js, ...threadsOf(pid), ...childrenOf(pid), ...(await nativeStacks(pid))].join('\n');
}

/** Each thread of `pid`: its name, state, kernel wait channel and system call. */
function threadsOf(pid: number): string[] {
  let tids: string[];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return []; }
  return ['threads:', ...tids.map((t) => {
    return `  ${t} ${procText(pid, `task/${t}/comm`)}: state ${statField(pid, `task/${t}/stat`, 0)}, wchan ${procText(pid, `task/${t}/wchan`)}, syscall ${procText(pid, `task/${t}/syscall`).split(' ')[0]}`;
  })];
}

/** The processes `pid` started that still run (an esbuild service, say). */
function childrenOf(pid: number): string[] {
  const kids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => statField(Number(d), 'stat', 1) === String(pid));
  return kids.length === 0 ? ['no child processes'] : ['child processes:', ...kids.map((k) => `  ${k}: ${procText(Number(k), 'cmdline').split('\0').join(' ').slice(0, 200)}`)];
}

/** Native stacks of every thread through gdb, where it is installed (CI installs it): which lock or wait a stuck thread is in. */
async function nativeStacks(pid: number): Promise<string[]> {
  const gdb = spawn('gdb', ['-p', String(pid), '-batch', '-nx', '-ex', 'thread apply all bt 12'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  gdb.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  gdb.on('error', () => { out = '(gdb not installed: no native stacks)'; });
  const timer = setTimeout(() => gdb.kill('SIGKILL'), 20_000);
  await new Promise((resolve) => { gdb.once('close', resolve); gdb.once('error', resolve); });
  clearTimeout(timer);
  const lines = out.split('\n').filter((l) => /^(Thread |#\d+ )|gdb not installed/.test(l)).map((l) => `  ${l.slice(0, 160)}`);
  return ['native stacks:', ...lines.slice(0, 200)];
}

/** How long a bench child may take to start listening before it is killed. */
const startTimeoutMs = 120_000;

/** How long a bench child gets to stop by itself before it is killed. */
const stopGraceMs = 15_000;

/**
 * Asks a bench child to stop and resolves once it exited. One that already
 * exited (it crashed, say) has nothing to stop; one that does not exit within
 * {@link stopGraceMs} (its event loop stuck, a connection that never closes) is
 * killed, so a failing run still ends: a child left running holds the test
 * process open forever through its IPC channel.
 */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || !child.connected) { resolve(); return; }
    const kill = setTimeout(() => {
      process.stderr.write(`bench: pid ${child.pid ?? '?'} did not stop within ${stopGraceMs / 1000} s: killed\n`);
      child.kill('SIGKILL');
    }, stopGraceMs);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.send({ stop: true });
  });
}

/** The child side: reports `port`, answers RSS requests, runs `stop` then disconnects. */
export function serveBenchIpc(port: number, stop: () => Promise<void>): void {
  // 10 ms resolution: finer costs CPU in the measured process for nothing (the goals are in tens of ms).
  // Enabled at the first `lag` question only: its timer wakes the process 100 times a second, which
  // every CPU figure of a benchmark that never asks was charged for (~11 ms per second here, 2026-11-27:
  // ~1 ms of each login's CPU in `bench:login`, ~0.1 ms of each keystroke's).
  const resolutionMs = 10;
  const delay = monitorEventLoopDelay({ resolution: resolutionMs });
  let delayEnabled = false;
  process.send?.({ port });
  // The parent is gone (it exited, or killed its test run): nothing will ever ask this process to stop.
  const orphaned = (): never => process.exit(1);
  process.once('disconnect', orphaned);
  process.on('message', (m: unknown) => {
    if (typeof m !== 'object' || m === null) return;
    if ('rss' in m) {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ rss: process.memoryUsage().rss });
    } else if ('mem' in m) {
      (globalThis as { gc?: () => void }).gc?.();
      const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
      const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0;
      process.send?.({ mem: { rss, heapTotal, heapUsed, external, arrayBuffers, newSpace } });
    } else if ('snapshot' in m && typeof m.snapshot === 'string') {
      process.send?.({ snapshot: writeHeapSnapshot(m.snapshot) });
    } else if ('cpu' in m) {
      const u = process.cpuUsage();
      process.send?.({ cpu: u.user + u.system });
    } else if ('lag' in m) {
      // The histogram holds the time between two ticks of its timer: the delay is what exceeds the period.
      // The first question starts the measuring and answers zeros (every caller asks once to start a window).
      const ms = (ns: number): number => (delayEnabled ? Math.max(0, ns / 1e6 - resolutionMs) : 0);
      process.send?.({ lag: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) } });
      if (!delayEnabled) { delay.enable(); delayEnabled = true; }
      delay.reset();
    } else if ('stop' in m) {
      void stop().then(() => { process.off('disconnect', orphaned); process.disconnect(); });
    }
  });
}
