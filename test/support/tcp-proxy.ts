import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A TCP relay in a child process that a test can freeze (SIGSTOP) and thaw (SIGCONT). */
export interface TcpProxy {
  /** The relay's port on 127.0.0.1. */
  port: number;
  /** Stops the relay process: connections are accepted by the kernel, never answered. */
  freeze(): void;
  /** Lets it run again; buffered bytes flow. */
  thaw(): void;
  close(): Promise<void>;
}

const script = fileURLToPath(new URL('./tcp-proxy-child.ts', import.meta.url));

/** Starts a relay from 127.0.0.1:<port> to `host:port` as a child process. */
export function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, host, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`tcp proxy exited with ${code}`)));
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /port=(\d+)\n/.exec(out);
      if (!m) return;
      resolve({
        port: Number(m[1]),
        freeze: () => { child.kill('SIGSTOP'); },
        thaw: () => { child.kill('SIGCONT'); },
        async close() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}
