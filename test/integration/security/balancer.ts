/**
 * Harness of the PROXY protocol suites: the real portal (trusting 127.0.0.1
 * only) behind a real HAProxy on 127.0.0.1, and raw TCP clients that speak
 * to the portal directly from any 127.0.0.0/8 address, as an attacker would.
 * Clients reach HAProxy from other loopback addresses (`ssh -o BindAddress`),
 * so each test can be "a different client" behind the same balancer.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { startHaproxy, type Haproxy, type SendProxy } from '../../support/haproxy.js';
import { startPortal, type Portal } from '../../support/portal.js';
import type { RunOptions, RunResult } from '../../support/process.js';

/** A portal behind HAProxy. */
export interface Balanced {
  portal: Portal;
  haproxy: Haproxy;
  /** Runs the real `ssh` through HAProxy's `flavour` frontend, from loopback address `from`. */
  ssh(flavour: SendProxy, from: string, args: string[], opts?: RunOptions & { login?: string; key?: string | null }): Promise<RunResult>;
  close(): Promise<void>;
}

/** Starts the portal (trusting only 127.0.0.1) and HAProxy in front; enrolls the admin through HAProxy. */
export async function startBalanced(ctx: Mocha.Context, flags: Record<string, string>): Promise<Balanced> {
  const token = randomBytes(16).toString('hex');
  const portal = await startPortal(ctx, {
    driver: 'sqlite3', enrollAdmin: false, env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: token },
    flags: { trustedProxies: '127.0.0.1', ...flags },
  });
  let haproxy: Haproxy;
  try {
    haproxy = await startHaproxy(portal.port);
  } catch (err) {
    await portal.close();
    throw err;
  }
  const balanced: Balanced = {
    portal, haproxy,
    ssh: (flavour, from, args, opts = {}) => portal.ssh(args, {
      ...opts, extra: ['-o', `BindAddress=${from}`, '-o', `Port=${haproxy.port[flavour]}`],
    }),
    async close() {
      await haproxy.stop();
      await portal.close();
    },
  };
  const enrolled = await balanced.ssh('send-proxy-v2', '127.0.0.2', [], { login: `invite:${token}` });
  if (enrolled.code !== 0) {
    await balanced.close();
    throw new Error(`admin enrollment through HAProxy failed: ${enrolled.stderr}\n${portal.logs.join('\n')}`);
  }
  return balanced;
}

/** What a raw client saw. */
export interface RawOutcome {
  /** Bytes the portal sent back. */
  received: Buffer;
  /** Milliseconds from connect to close. */
  closedAfterMs: number;
}

/** Options of {@link rawClient}. */
export interface RawOptions {
  /** Local loopback address to connect from. */
  from: string;
  /** Sent at once after connecting. */
  send?: Buffer;
  /** Then sent one byte every `dripMs` (slowloris). */
  drip?: Buffer;
  dripMs?: number;
  /** The client gives up (and fails the test) after this long. */
  timeoutMs?: number;
}

/** Connects straight to the portal, sends `send` then drips `drip`; resolves when the portal closes the socket. */
export function rawClient(port: number, opts: RawOptions): Promise<RawOutcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const received: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const s = connect({ port, host: '127.0.0.1', localAddress: opts.from }, () => {
      if (opts.send) s.write(opts.send);
      let i = 0;
      const drip = opts.drip;
      if (drip) {
        timer = setInterval(() => {
          if (i < drip.length && !s.destroyed) s.write(drip.subarray(i, ++i));
        }, opts.dripMs ?? 300);
      }
    });
    const limit = setTimeout(() => {
      s.destroy();
      reject(new Error(`the portal kept a raw connection from ${opts.from} open for ${opts.timeoutMs ?? 20_000} ms`));
    }, opts.timeoutMs ?? 20_000);
    s.on('data', (d: Buffer) => received.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearInterval(timer);
      clearTimeout(limit);
      resolve({ received: Buffer.concat(received), closedAfterMs: Date.now() - started });
    });
  });
}
