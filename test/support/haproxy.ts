/**
 * Starts a real HAProxy (Debian's `haproxy`) in TCP mode on 127.0.0.1 in front
 * of a portal, one frontend per PROXY protocol version, with a generated
 * config (HAProxy cannot listen on port 0: free ports are picked first). One
 * owner: `stop()` ends it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { requireOrSkip } from './env.js';
import { freePort } from './sshd.js';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';

/** Path of the HAProxy binary. */
export const HAPROXY_PATH = '/usr/sbin/haproxy';

/** How HAProxy introduces each connection to the portal. */
export type SendProxy = 'send-proxy-v2' | 'send-proxy';

/** A running HAProxy. */
export interface Haproxy {
  /** The frontend port of each PROXY protocol flavour. */
  port: Record<SendProxy, number>;
  /** A port on [::1] of the `send-proxy-v2` frontend (IPv6 clients), or null when ::1 is not available here. */
  ipv6Port: number | null;
  /** Everything HAProxy wrote so far (its log goes to stderr). */
  logs(): string;
  /** The `status` column of `show stat` for each backend server, e.g. `{ 'send-proxy-v2': 'UP' }`. */
  status(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** Skips the suite (loudly) when HAProxy is missing; fails under CI. */
export function requireHaproxy(ctx: Mocha.Context): void {
  requireOrSkip(ctx, existsSync(HAPROXY_PATH), `${HAPROXY_PATH} (Debian package haproxy)`);
}

const flavours: SendProxy[] = ['send-proxy-v2', 'send-proxy'];

function config(ports: Record<SendProxy, number>, ipv6Port: number | null, portalPort: number, statsSocket: string): string {
  const blocks = flavours.map((f) => {
    const name = f.replace(/-/g, '_');
    const v6 = ipv6Port !== null && f === 'send-proxy-v2' ? [`    bind ipv6@::1:${ipv6Port}`] : [];
    return [
      `frontend fe_${name}`, `    bind 127.0.0.1:${ports[f]}`, ...v6, `    default_backend be_${name}`,
      `backend be_${name}`,
      // The same health check as examples/mysql; `send-proxy` makes it carry a header too (v2: LOCAL).
      '    option tcp-check', '    tcp-check connect send-proxy', '    tcp-check expect rstring ^SSH-2\\.0-[^\\ \\r]*\\r',
      `    server portal 127.0.0.1:${portalPort} source 127.0.0.1 ${f} check inter 500ms`, '    timeout check 1s',
    ].join('\n');
  });
  return [
    'global', '    log stderr format raw local0', `    stats socket ${statsSocket} level admin`, '    maxconn 2000',
    'defaults', '    mode tcp', '    log global', '    option tcplog',
    '    timeout connect 5s', '    timeout client 2m', '    timeout server 2m',
    ...blocks,
  ].join('\n') + '\n';
}

/** Runs one command on the stats socket and returns its answer. */
function statsCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = connect(socketPath, () => s.end(`${command}\n`));
    s.setEncoding('utf8');
    s.on('data', (d: string) => { out += d; });
    s.on('error', reject);
    s.on('close', () => resolve(out));
  });
}

/** A free port on [::1], or null when this machine has no IPv6 loopback. */
function freeIpv6Port(): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(0, '::1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : null));
    });
  });
}

function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Starts HAProxy in front of the portal listening on 127.0.0.1:`portalPort`. */
export async function startHaproxy(portalPort: number): Promise<Haproxy> {
  const dir = tempDir('sshportal-haproxy-');
  const ports = { 'send-proxy-v2': await freePort(), 'send-proxy': await freePort() };
  const ipv6Port = await freeIpv6Port();
  const stats = join(dir.path, 'stats.sock');
  const cfg = join(dir.path, 'haproxy.cfg');
  writeFileSync(cfg, config(ports, ipv6Port, portalPort, stats));
  // -db: foreground, no daemon; -W is not needed for one process.
  const child = spawn(HAPROXY_PATH, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { logs += s; });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { logs += s; });
  const stop = async (): Promise<void> => {
    await stopChild(child);
    dir.remove();
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${logs}`);
      return (await listening(ports['send-proxy-v2'])) && (await listening(ports['send-proxy']))
        && (ipv6Port === null || await listening(ipv6Port, '::1'));
    }, 10_000, 'haproxy to listen');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port: ports,
    ipv6Port,
    logs: () => logs,
    async status() {
      const csv = await statsCommand(stats, 'show stat');
      const rows = csv.split('\n').filter((l) => l.startsWith('be_')).map((l) => l.split(','));
      // Columns: pxname, svname, … status is the 18th.
      return Object.fromEntries(rows.filter((r) => r[1] === 'portal').map((r) => [(r[0] ?? '').slice(3).replace(/_/g, '-'), r[17] ?? '']));
    },
    stop,
  };
}
