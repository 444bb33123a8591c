/**
 * Keystroke echo through a real terminal: the real `ssh -tt` on a node-pty
 * pseudo-terminal, the remote side in raw mode running `cat`, so every byte
 * typed comes back once. Measures write → echo seen, one key at a time.
 */
import { spawn as ptySpawn } from 'node-pty';
import { sleep } from './measure.js';

/** Echo latencies in ms (sorted ascending). */
export async function echoLatencies(sshArgs: string[], keys: number, warmup = 20): Promise<number[]> {
  const pty = ptySpawn('ssh', [...sshArgs, '-tt', 'stty raw -echo; echo READY; exec cat'], { cols: 80, rows: 24, name: 'xterm', env: { ...process.env, TERM: 'xterm' } });
  let seen = '';
  let waiter: (() => void) | undefined;
  pty.onData((d) => { seen += d; waiter?.(); });
  const waitFor = (s: string, timeoutMs: number): Promise<void> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { waiter = undefined; reject(new Error(`no echo of ${JSON.stringify(s)}; got ${JSON.stringify(seen.slice(-200))}`)); }, timeoutMs);
    waiter = () => { if (seen.includes(s)) { clearTimeout(timer); waiter = undefined; resolve(); } };
    waiter();
  });
  try {
    await waitFor('READY', 30_000);
    await sleep(200);
    const out: number[] = [];
    for (let i = 0; i < warmup + keys; i++) {
      seen = '';
      const key = String.fromCharCode(97 + (i % 26));
      const t0 = process.hrtime.bigint();
      pty.write(key);
      await waitFor(key, 10_000);
      if (i >= warmup) out.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await sleep(3);
    }
    return out.sort((a, b) => a - b);
  } finally {
    try { pty.kill(); } catch { /* already gone */ }
  }
}

/** The p-th percentile (0–100) of ascending numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
