/**
 * Measurement helpers of the benchmark: timed shell pipelines, medians, RSS.
 */
import { spawn } from 'node:child_process';

/** Runs `sh -c script`, resolving with its duration in ms (rejects on failure). */
export function timed(script: string, timeoutMs = 300_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => { err += s; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`'${script}' exited ${code}: ${err.trim()}`));
    });
  });
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid]) : ((s[mid - 1]) + (s[mid])) / 2;
}

/** Runs `fn` `n` times, returning the median. */
export async function medianOf(n: number, fn: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await fn());
  return median(xs);
}

/** Current RSS in MiB after a GC when available. */
export function rssMiB(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return process.memoryUsage().rss / (1024 * 1024);
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Formats rows as an aligned text table. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

/** Starts `n` copies of `script` at once; returns the wall time until all finished, ms. */
export async function simultaneous(script: string, n: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => timed(script, 120_000)));
  return performance.now() - t0;
}

/** A difference with its sign, 2 decimals (`+0.25`, `-1.40`). */
export function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(2)}`;
}

/** What {@link loginRounds} reads of a server process. */
interface CpuSource {
  /** CPU seconds (user + system) the process used so far. */
  cpu(): Promise<number>;
}

/**
 * CPU ms per login of `server` in each of `rounds` rounds of `n` simultaneous
 * `login` commands, and each round's wall time (s). V8 keeps optimizing the
 * login path's functions for thousands of logins: measured with `--trace-opt`
 * (one run of 25 rounds of 100 on a fresh portal), 30–40 functions were
 * optimized per round in rounds 2–6, 10–29 in rounds 7–17, 7–19 in rounds
 * 18–21 and 9 per round in rounds 22–25 — functions that run once per login
 * reaching V8's threshold one after another. TurboFan's jobs run on V8's
 * worker threads and count in the process's CPU (~14 % of it in rounds 2–8,
 * ~5 % in rounds 16–24). So the first rounds read above what a portal that
 * has run for a while spends: {@link warmLoginCpu} is the figure of a warmer
 * process (not a settled one).
 */
export async function loginRounds(server: CpuSource, login: string, n: number, rounds: number): Promise<{ cpuMs: number[]; wallS: number[] }> {
  const cpuMs: number[] = [];
  const wallS: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = await server.cpu();
    wallS.push((await simultaneous(login, n)) / 1000);
    cpuMs.push(((await server.cpu()) - c0) * 1000 / n);
  }
  return { cpuMs, wallS };
}

/** Rounds {@link warmLoginCpu} takes its median of: the last, warmest ones (see {@link loginRounds}). */
export const WARM_ROUNDS = 5;

/** Login rounds the benchmarks run by default: 15 to warm up, {@link WARM_ROUNDS} warm. */
export const LOGIN_ROUNDS = 20;

/** The CPU per login of a warm process: the median of the last {@link WARM_ROUNDS} rounds (of all, when fewer). */
export function warmLoginCpu(cpuMs: number[]): number {
  return median(cpuMs.slice(-WARM_ROUNDS));
}
