/**
 * A real OpenSSH reverse-tunnel connector (`ssh -N -R …`) for the tunnel
 * tests, and helpers to wait for the portal to see it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Event } from '../../../lib/db/entities/index.js';
import type { Portal } from '../../support/portal.js';
import { sshOptions } from '../../support/openssh.js';
import { waitFor } from '../../support/wait.js';

/** A portal or one cluster node: where to connect, and its database. */
export type PortalLike = Pick<Portal, 'port' | 'app'>;

/** A running `ssh -N -R` connector. */
export class Connector {
  readonly child: ChildProcessWithoutNullStreams;
  err = '';
  readonly exited: Promise<number | null>;
  #exitCode: number | null | undefined;

  /** `remote` is the `-R` spec, e.g. `22:127.0.0.1:2200`. BatchMode off: refusals are shown through keyboard-interactive. */
  constructor(port: number, key: string, login: string, remote: string, extra: string[] = []) {
    this.child = spawn('ssh', ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', remote, ...extra, '-o', 'BatchMode=no', ...sshOptions(port, key).map((o) => (o === 'LogLevel=ERROR' ? 'LogLevel=INFO' : o)), `${login}@127.0.0.1`], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.resume();
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => { this.err += s; });
    this.exited = new Promise((r) => this.child.once('exit', (code) => { this.#exitCode = code; r(code); }));
  }

  get running(): boolean { return this.#exitCode === undefined; }

  kill(): Promise<number | null> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** Number of `tunnel` events with `action` for `host`. */
export function tunnelEvents(p: PortalLike, action: string, host: string): Promise<number> {
  return p.app.db.manager.countBy(Event, { domain: 'tunnel', action, entity: host });
}

/** Starts a connector and waits until the portal logged it online (one more `connected` event for `host`). */
export async function connect(p: PortalLike, key: string, login: string, remote: string, host: string, extra: string[] = []): Promise<Connector> {
  const before = await tunnelEvents(p, 'connected', host);
  const c = new Connector(p.port, key, login, remote, extra);
  await waitFor(async () => !c.running || (await tunnelEvents(p, 'connected', host)) > before, 15_000, `connector of ${host} online`);
  if (!c.running) throw new Error(`connector exited: ${c.err}`);
  return c;
}
