/**
 * Keystroke echo through a real terminal: the real `ssh -tt` on a node-pty
 * pseudo-terminal, the remote side in raw mode running `cat`, so every byte
 * typed comes back once. Measures write → echo seen, one key at a time.
 */
import { spawn as ptySpawn, type IPty } from 'node-pty';
import { sleep } from './measure.js';

/** One `ssh -tt … cat` on a pseudo-terminal, typed into one key at a time. */
class EchoTerminal {
  readonly #pty: IPty;
  #seen = '';
  #waiter: (() => void) | undefined;

  constructor(sshArgs: string[]) {
    this.#pty = ptySpawn('ssh', [...sshArgs, '-tt', 'stty raw -echo; echo READY; exec cat'], { cols: 80, rows: 24, name: 'xterm', env: { ...process.env, TERM: 'xterm' } });
    this.#pty.onData((d) => { this.#seen += d; this.#waiter?.(); });
  }

  /** Resolves once `s` was seen since the last key; rejects after `timeoutMs`. */
  waitFor(s: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#waiter = undefined; reject(new Error(`no echo of ${JSON.stringify(s)}; got ${JSON.stringify(this.#seen.slice(-200))}`)); }, timeoutMs);
      this.#waiter = () => { if (this.#seen.includes(s)) { clearTimeout(timer); this.#waiter = undefined; resolve(); } };
      this.#waiter();
    });
  }

  /** Types one key and waits for its echo; ms. */
  async key(i: number): Promise<number> {
    this.#seen = '';
    const key = String.fromCharCode(97 + (i % 26));
    const t0 = process.hrtime.bigint();
    this.#pty.write(key);
    await this.waitFor(key, 10_000);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  }

  close(): void {
    try { this.#pty.kill(); } catch { /* already gone */ }
  }
}

/** Echo latencies in ms (sorted ascending). */
export async function echoLatencies(sshArgs: string[], keys: number, warmup = 20): Promise<number[]> {
  return (await interleavedEchoLatencies([sshArgs], keys, warmup))[0] ?? [];
}

/**
 * Echo latencies (ms, each sorted ascending) of several terminals open at
 * once, typed into in turn — key i to each of them, in an order that rotates
 * with i — so that whatever else the machine does at a moment falls on all of
 * them alike: compared one after the other, a noisy second on this VM moved
 * one side's p99 by several ms.
 */
export async function interleavedEchoLatencies(sshArgsOfEach: string[][], keys: number, warmup = 20): Promise<number[][]> {
  const terms = sshArgsOfEach.map((args) => new EchoTerminal(args));
  try {
    await Promise.all(terms.map((t) => t.waitFor('READY', 30_000)));
    await sleep(200);
    const out = terms.map((): number[] => []);
    for (let i = 0; i < warmup + keys; i++) {
      for (let j = 0; j < terms.length; j++) {
        const k = (i + j) % terms.length;
        const ms = await terms[k].key(i);
        if (i >= warmup) out[k]?.push(ms);
        await sleep(3);
      }
    }
    return out.map((xs) => xs.sort((a, b) => a - b));
  } finally {
    for (const t of terms) t.close();
  }
}

/** The p-th percentile (0–100) of ascending numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
