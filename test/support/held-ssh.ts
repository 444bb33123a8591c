import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { sshOptions } from './openssh.js';
import { waitFor } from './wait.js';

/** An OpenSSH client with stdin held open, collecting stdout and stderr (a live shell or relayed session). */
export class Held {
  readonly child: ChildProcessWithoutNullStreams;
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  constructor(port: number, key: string, login: string, cmd: string[]) {
    this.child = spawn('ssh', [...sshOptions(port, key), `${login}@127.0.0.1`, ...cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8').on('data', (s: string) => { this.out += s; });
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => { this.err += s; });
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  /** Writes `line` and waits (15 s at most) until `expect` holds. */
  async send(line: string, expect: (h: Held) => boolean, what: string): Promise<void> {
    this.child.stdin.write(line);
    await waitFor(() => expect(this), 15_000, what);
  }

  /** Closes stdin and resolves with the exit code. */
  stop(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }
}
