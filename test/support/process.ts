import { spawn } from 'node:child_process';

/** What a finished child process left. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The same, with stdout as bytes (binary transfers). */
export interface RawRunResult extends Omit<RunResult, 'stdout'> {
  stdout: Buffer;
}

/** Options of {@link runProcess}. */
export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Options of {@link runProcessRaw}: stdin may also be a file descriptor, or held open. */
export interface RawRunOptions extends RunOptions {
  stdinFile?: number;
  holdStdin?: boolean;
}

/**
 * Runs a program to completion, feeding `input` (or nothing: stdin is closed
 * unless `holdStdin`) and collecting its output as bytes. Kills it after
 * `timeoutMs` (default 30 s).
 */
export function runProcessRaw(cmd: string, args: string[], opts: RawRunOptions = {}): Promise<RawRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: [opts.stdinFile ?? 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined);
      if (opts.input !== undefined) child.stdin.end(opts.input);
      else if (!opts.holdStdin) child.stdin.end();
    }
  });
}

/** {@link runProcessRaw} with stdout decoded as UTF-8. */
export async function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await runProcessRaw(cmd, args, opts);
  return { ...r, stdout: r.stdout.toString('utf8') };
}
