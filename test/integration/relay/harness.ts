/**
 * Harness of the relay integration tests: a tiny in-process ssh2 "front"
 * server standing in for the portal's listener (accepts any public key and
 * hands the connection to attachRelay), and helpers that run the real OpenSSH
 * client tools against it.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import { HostKeyMismatchError } from '../../../lib/errors.js';
import { createLogger, silentLogger } from '../../../lib/log.js';
import { fingerprintOf } from '../../../lib/crypto/ssh-keys.js';
import { sshOptions } from '../../support/openssh.js';
import { attachRelay } from '../../../lib/proxy/relay.js';
import type { HopTarget, RelayEvent, RelayHandle, RelayOptions, RelayPlan, RelaySummary } from '../../../lib/proxy/types.js';
import { generateKey, type TestKey } from '../../support/keys.js';
import type { SshdTarget } from '../../support/sshd.js';

/** A running front server. */
export interface Front {
  port: number;
  /** Every relay attached so far. */
  relays: RelayHandle[];
  close(): Promise<void>;
}

/** Builds the relay options of one connection from its login name. */
export type OptionsFactory = (username: string) => RelayOptions;

/** Starts the front server on 127.0.0.1:0. */
export function startFront(hostKey: TestKey, factory: OptionsFactory): Promise<Front> {
  const conns = new Set<Connection>();
  const relays: RelayHandle[] = [];
  const server = new ssh2.Server({ hostKeys: [hostKey.privateKey] }, (conn) => {
    conns.add(conn);
    let username = '';
    conn.on('error', () => undefined);
    conn.on('close', () => conns.delete(conn));
    conn.on('authentication', (ctx) => {
      username = ctx.username;
      if (ctx.method === 'publickey') ctx.accept();
      else ctx.reject(['publickey']);
    });
    conn.on('ready', () => relays.push(attachRelay(conn, factory(username))));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        port,
        relays,
        close: () => new Promise<void>((done) => {
          for (const c of conns) c.end();
          server.close(() => done());
        }),
      });
    });
  });
}

/** A hop pinned to the sshd's real host key (or `pinned`). */
export function hopTo(target: SshdTarget, key: TestKey, name = 'target', pinned?: string): HopTarget {
  const expected = pinned ?? target.hostKey;
  return {
    name,
    host: target.host,
    port: target.port,
    username: target.user,
    privateKey: key.privateKey,
    verifyHostKey: (presented) => {
      if (presented !== expected) return Promise.reject(new HostKeyMismatchError(name, fingerprintOf(expected), fingerprintOf(presented)));
      return Promise.resolve();
    },
  };
}

/** Records what the relay reported, for assertions. */
export interface Observed {
  events: RelayEvent[];
  summaries: RelaySummary[];
  /** Told of each event as it happens (e.g. a `Calls.mustCall` wrapper). */
  onEvent?: (e: RelayEvent) => void;
  /** Told of each summary as it happens. */
  onClose?: (s: RelaySummary) => void;
}

/** Relay options for a plan; `observed` collects events and summaries. */
export function relayOptions(plan: Omit<RelayPlan, 'onClose' | 'onEvent'>, observed?: Observed, idleTimeoutMs = 0): RelayOptions {
  return {
    log: process.env.RELAY_DEBUG ? createLogger({ level: 'debug', sink: (l) => appendFileSync(process.env.RELAY_DEBUG as string, l + '\n') }) : silentLogger,
    idleTimeoutMs,
    prepare: () => Promise.resolve({
      ...plan,
      onEvent: (e) => { observed?.events.push(e); observed?.onEvent?.(e); },
      onClose: (s) => { observed?.summaries.push(s); observed?.onClose?.(s); },
    }),
  };
}

export { runProcessRaw as run, type RawRunResult as RunResult } from '../../support/process.js';

/** Common OpenSSH client options (no config, no known hosts, batch), for ssh, scp and sftp. */
export function clientOptions(front: Front, key: TestKey): string[] {
  return sshOptions(front.port, key.path);
}

/** `ssh` argument list for `login@front` running `command`. */
export function sshArgs(front: Front, key: TestKey, login: string, ...rest: string[]): string[] {
  return [...clientOptions(front, key), `${login}@127.0.0.1`, ...rest];
}

/** The shell command form of the client options (for GIT_SSH_COMMAND, rsync -e). */
export function sshCommand(front: Front, key: TestKey): string {
  return ['ssh', ...clientOptions(front, key)].join(' ');
}

/** Generates the keys a suite needs in `dir`. */
export function suiteKeys(dir: string): { front: TestKey; user: TestKey; portal: TestKey } {
  return {
    front: generateKey(join(dir, 'front_host')),
    user: generateKey(join(dir, 'user')),
    portal: generateKey(join(dir, 'portal')),
  };
}
