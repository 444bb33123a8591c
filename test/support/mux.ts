/**
 * Real OpenSSH connection multiplexing (ControlMaster) against a portal: a
 * background master (`-f -N -o ControlMaster=yes -o ControlPersist=…`), then
 * more sessions (`-S`) and `-L` forwards (`-O forward`) over the same
 * connection, as users of multiplexed connections do.
 */
import { spawn } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { sshOptions } from './openssh.js';
import { runProcess, type RunOptions, type RunResult } from './process.js';

/** A mux client holding a session open (stdin stays open until `stop`). */
export interface HeldSession {
  /** Everything received on stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once the client exited. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** A running ControlMaster connection. */
export interface Master {
  ctl: string;
  /** Runs one more session over the master (`ssh -S ctl login cmd`). */
  run(args: string[], opts?: RunOptions): Promise<RunResult>;
  /** Adds `-L 127.0.0.1:PORT:to` to the master; returns the local port. */
  forward(to: string): Promise<number>;
  /** Whether the master still answers `-O check`. */
  alive(): Promise<boolean>;
  /** Starts a session with stdin held open. */
  hold(args: string[]): HeldSession;
  /** Ends the master (ignored when already gone). */
  exit(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!addr || typeof addr !== 'object') throw new Error('no port');
  return addr.port;
}

/** Starts a background ControlMaster for `login@127.0.0.1:port` with `key`; `dir` holds the control socket. */
export async function startMaster(port: number, key: string, login: string, dir: string, name: string): Promise<Master> {
  const ctl = join(dir, `ctl-${name}`);
  const base = sshOptions(port, key);
  const muxOpts = ['-o', `ControlPath=${ctl}`, '-o', 'ControlMaster=no'];
  const target = `${login}@127.0.0.1`;
  // -f: ssh forks into the background once authenticated; the parent's exit says the master is up.
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('ssh', ['-f', '-N', '-o', 'ControlMaster=yes', '-o', `ControlPath=${ctl}`, '-o', 'ControlPersist=120', ...base, target],
      { stdio: ['ignore', 'ignore', 'ignore'] });
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`ControlMaster for ${login} did not start (exit ${code})`);
  const ctlArgs = (op: string): string[] => ['-S', ctl, '-O', op, ...base, target];
  return {
    ctl,
    run: (args, opts = {}) => runProcess('ssh', [...muxOpts, ...base, target, ...args], { timeoutMs: 15_000, ...opts }),
    async forward(to) {
      const local = await freePort();
      const r = await runProcess('ssh', ['-S', ctl, '-O', 'forward', '-L', `127.0.0.1:${local}:${to}`, ...base, target], { timeoutMs: 15_000 });
      if (r.code !== 0) throw new Error(`-O forward failed: ${r.stderr}`);
      return local;
    },
    alive: async () => (await runProcess('ssh', ctlArgs('check'), { timeoutMs: 15_000 })).code === 0,
    hold(args) {
      const child = spawn('ssh', [...muxOpts, ...base, target, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => { err += s; });
      child.stdout.resume();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      return { stderr: () => err, exited, stop: () => { child.stdin.end(); return exited; } };
    },
    async exit() {
      await runProcess('ssh', ctlArgs('exit'), { timeoutMs: 15_000 });
    },
  };
}

/** A TCP connection through a `-L` forward, with what it received. */
export interface Tunnel {
  socket: Socket;
  received(): string;
  /** Resolves when the socket closed. */
  closed: Promise<void>;
}

/** Connects to a local forward port; resolves once `expect` was received or the socket closed. */
export function openTunnel(port: number, expect: RegExp, timeoutMs = 10_000): Promise<Tunnel> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ socket, received: () => data, closed });
    };
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no ${String(expect)} through the tunnel`)); }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (s: string) => { data += s; if (expect.test(data)) finish(); });
    socket.on('error', () => undefined);
    void closed.then(finish);
  });
}
