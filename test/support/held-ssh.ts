import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { sshOptions } from './openssh.js';
import { waitFor } from './wait.js';

/** An OpenSSH client with stdin held open, collecting stdout and stderr (a live shell or relayed session). */
export class Held {
  readonly child: ChildProcessWithoutNullStreams;
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  /** The exit code once stdout and stderr are read to their end too. */
  readonly closed: Promise<number | null>;
  /** `ssh` to `login` on 127.0.0.1:`port` with the suite's options, or with exactly `args`. */
  constructor(port: number, key: string, login: string, cmd: string[]);
  constructor(args: string[]);
  constructor(...a: [number, string, string, string[]] | [string[]]) {
    const args = a.length === 1 ? a[0] : [...sshOptions(a[0], a[1]), `${a[2]}@127.0.0.1`, ...a[3]];
    this.child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8').on('data', (s: string) => { this.out += s; });
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => { this.err += s; });
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
    this.closed = new Promise((r) => this.child.once('close', (code) => r(code)));
  }

  /** Writes `line` and waits (15 s at most) until `expect` holds. */
  async send(line: string, expect: (h: Held) => boolean, what: string): Promise<void> {
    this.child.stdin.write(line);
    try {
      await waitFor(() => expect(this), 15_000, what);
    } catch (err) {
      // What the session printed last tells a flaky wait from a wrong answer.
      throw new Error(`${err instanceof Error ? err.message : String(err)}; stdout ends ${JSON.stringify(this.out.slice(-300))}, stderr ends ${JSON.stringify(this.err.slice(-300))}`);
    }
  }

  /** Closes stdin and resolves with the exit code. */
  stop(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }
}
