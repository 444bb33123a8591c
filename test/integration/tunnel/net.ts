/**
 * Small TCP helpers of the tunnel channel tests: an echo server, free ports,
 * round trips, and a long-running OpenSSH client (-L/-D/-R) stopped by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { waitFor } from '../../support/wait.js';

/** Listens on 127.0.0.1:0; resolves with the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve(typeof a === 'object' && a ? a.port : 0);
  }));
}

/** A TCP echo server; `close()` also ends the sockets it still holds. */
export async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => undefined); s.pipe(s); });
  const port = await listen(server);
  return { port, close: () => { for (const s of sockets) s.destroy(); return new Promise((r) => server.close(() => r())); } };
}

/** A port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

/** Connects to 127.0.0.1:`port`, retrying while its listener comes up (10 s at most). */
export async function connectRetry(port: number): Promise<Socket> {
  let sock: Socket | null = null;
  await waitFor(() => new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1', () => { sock = s; resolve(true); });
    s.once('error', () => resolve(false));
  }), 10_000, `a listener on port ${port}`);
  if (!sock) throw new Error('unreachable');
  return sock;
}

/** Sends `data`, half-closes, and resolves with everything read until the peer closed. */
export function roundTrip(sock: Socket, data: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    sock.on('data', (d: Buffer) => got.push(d));
    sock.once('error', reject);
    sock.once('close', () => resolve(Buffer.concat(got)));
    sock.end(data);
  });
}

/** A long-running `ssh` (-N with forwards) collecting stderr. */
export class LongSsh {
  stderr = '';
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  constructor(args: string[]) {
    this.#child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child.stderr?.setEncoding('utf8').on('data', (s: string) => { this.stderr += s; });
    this.#exited = new Promise((r) => this.#child.once('exit', () => r()));
  }

  /** Waits (10 s at most) until stderr matches `re`. */
  async match(re: RegExp): Promise<string[]> {
    await waitFor(() => re.test(this.stderr), 10_000, `${re} in: ${this.stderr}`);
    return [...(re.exec(this.stderr) ?? [])];
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.#exited;
  }
}
