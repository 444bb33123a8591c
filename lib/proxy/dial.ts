/**
 * Dials the hop chain with ssh2 clients: the first hop over TCP, every next
 * hop through a `direct-tcpip` channel of the previous one. Each hop's host
 * key is checked by the caller's `verifyHostKey`. Failures become
 * AppErrors whose message is safe to show the user. Every step of the dial
 * gives up at once when the signal aborts. What waits to be sent to each hop
 * is bounded as for a client (lib/server/backpressure.ts): a hop that stops
 * reading is no longer read, and one that stays stuck drops the chain.
 */
import type { BaseAgent, Client, ConnectConfig, PasswordAuthMethod, PublicKeyAuthMethod } from 'ssh2';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AppError, UpstreamError } from '../errors.js';
import type { Logger } from '../log.js';
import { authorizedKeyOf } from '../crypto/ssh-keys.js';
import { defaultOutputLimits, type OutputLimits } from '../server/backpressure.js';
import { enforceChannelWindows } from '../ssh/channel-window.js';
import { endClient } from '../ssh/end-client.js';
import { trimHandshakes } from '../ssh/handshake-trim.js';
import { releaseWrittenPackets } from '../ssh/packet-pool.js';
import { sharedPrivateKey } from './shared-keys.js';
import { SshClient } from './ssh2.js';
import { abortable, aborted, Chain, type DialedChain } from './dial-chain.js';
import type { HopTarget } from './types.js';

export type { DialedChain } from './dial-chain.js';

/** How long one hop may take to connect and authenticate. */
const HOP_READY_TIMEOUT_MS = 20_000;

/** Ciphers offered upstream: AES-GCM first (fast with the native binding), chacha20 kept. */
const UPSTREAM_CIPHERS = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'chacha20-poly1305@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
] as const;

/** Options of {@link dialChain}. */
export interface DialOptions {
  log: Logger;
  /** Agent bridge offered to the final target (for `ssh -A`). */
  agent?: BaseAgent;
  /** Aborts dialing (the downstream connection went away). */
  signal?: AbortSignal;
  /** Bound on what waits to be sent to each hop (default: the clients' own, {@link defaultOutputLimits}). */
  output?: OutputLimits;
}


type SshError = Error & { level?: string; code?: string };

function describe(hop: HopTarget, err: SshError): string {
  const where = `'${hop.name}' (${hop.host}:${hop.port})`;
  if (err.level === 'client-authentication') return `cannot log in to ${where} as '${hop.username}': authentication failed`;
  if (err.level === 'client-timeout') return `cannot reach ${where}: timed out`;
  switch (err.code) {
    case 'ECONNREFUSED': return `cannot reach ${where}: connection refused`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `cannot reach ${where}: unknown host`;
    case 'EHOSTUNREACH': case 'ENETUNREACH': return `cannot reach ${where}: no route to host`;
    case 'ETIMEDOUT': return `cannot reach ${where}: timed out`;
    default: return `cannot connect to ${where}: ${err.message}`;
  }
}

function connectHop(hop: HopTarget, sock: Duplex | undefined, opts: DialOptions, agent: BaseAgent | undefined, chain: Chain): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new SshClient();
    let refusal: Error | undefined;
    let settled = false;
    const onAbort = (): void => fail(aborted());
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      endClient(client);
      reject(err);
    };
    // The stream given for this hop is this client's to close: none will be made to do it.
    if (opts.signal?.aborted) { sock?.destroy(); reject(aborted()); return; }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    client.on('error', (err: SshError) => {
      if (settled) { opts.log.debug('upstream error', { hop: hop.name, err }); return; }
      if (refusal !== undefined) fail(refusal);
      else fail(new UpstreamError(describe(hop, err), { cause: err }));
    });
    // Every upstream connection closes some day: the error (and its stack trace) is made only when it closed during login.
    client.once('close', () => { if (!settled) fail(refusal ?? new UpstreamError(`connection to '${hop.name}' closed during login`)); });
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(client);
    });
    // Given as parsed methods, not in the config: ssh2 would keep its own parsed copy of the key per connection.
    const methods: Array<PublicKeyAuthMethod | PasswordAuthMethod> = [];
    try {
      if (hop.privateKey !== undefined) methods.push({ type: 'publickey', username: hop.username, key: sharedPrivateKey(hop.privateKey, hop.passphrase) });
    } catch (err) {
      fail(new UpstreamError(`cannot connect to '${hop.name}': ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      return;
    }
    if (hop.password !== undefined) methods.push({ type: 'password', username: hop.username, password: hop.password });
    const cfg: ConnectConfig = {
      host: hop.host,
      port: hop.port,
      username: hop.username,
      readyTimeout: HOP_READY_TIMEOUT_MS,
      keepaliveInterval: 30_000,
      keepaliveCountMax: 4,
      authHandler: methods,
      algorithms: { cipher: [...UPSTREAM_CIPHERS] },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void): void => {
        let formatted: string;
        try { formatted = authorizedKeyOf(key); } catch (err) { refusal = new UpstreamError(`'${hop.name}' sent an invalid host key`, { cause: err }); verify(false); return; }
        hop.verifyHostKey(formatted).then(
          () => verify(true),
          (err: unknown) => {
            refusal = err instanceof AppError ? err : new UpstreamError(`host key of '${hop.name}' could not be verified`, { cause: err });
            verify(false);
          },
        );
      },
    };
    if (sock) cfg.sock = sock;
    if (opts.log.debugEnabled) cfg.debug = (msg: string) => opts.log.debug(msg, { hop: hop.name });
    if (agent) cfg.agent = agent;
    try {
      client.connect(cfg);
    } catch (err) {
      fail(new UpstreamError(`cannot connect to '${hop.name}': ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      return;
    }
    // A target (a tunnel host is its own connector's machine) that overruns a window would be buffered without bound.
    enforceChannelWindows(client, (sent, window) => {
      opts.log.warn('upstream sent past its channel window: connection closed', { hop: hop.name, sent, window });
      client.destroy();
    });
    trimHandshakes(client);
    if (!sock) {
      client.setNoDelay(true);
      // The socket ssh2 made for this connection (a hop's channel is not one: its packets are copied into the outer one's).
      const own = (client as unknown as { _sock?: unknown })._sock;
      if (own instanceof Socket) {
        releaseWrittenPackets(own);
        chain.guard(hop.name, own);
      }
    } else {
      chain.guard(hop.name, sock);
    }
  });
}

function tunnel(via: Client, viaHop: HopTarget, hop: HopTarget): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, hop.host, hop.port, (err, stream) => {
      if (err) reject(new UpstreamError(`hop '${viaHop.name}' cannot reach '${hop.name}' (${hop.host}:${hop.port}): ${err.message}`, { cause: err }));
      else resolve(stream);
    });
  });
}

/**
 * Connects through `chain` (first hop first); rejects with an AppError. When
 * `opts.signal` aborts, whatever step runs (a connector's stream opening, a
 * hop's channel to the next one, a login) is given up at once and the hops
 * already dialed are ended.
 */
export async function dialChain(chain: readonly HopTarget[], opts: DialOptions): Promise<DialedChain> {
  if (chain.length === 0) throw new UpstreamError('no target to connect to');
  const dialed = new Chain(opts.log, opts.output ?? defaultOutputLimits);
  try {
    let prev: { client: Client; hop: HopTarget } | undefined;
    for (const [i, hop] of chain.entries()) {
      // A tunnel host is reached through its connector, wherever it sits in the chain.
      const own = hop.open ? await abortable(hop.open(), opts.signal, (late) => late.stream.destroy()) : undefined;
      if (own) dialed.opened.push(own);
      const sock = own ? own.stream : prev ? await abortable(tunnel(prev.client, prev.hop, hop), opts.signal, (late) => late.destroy()) : undefined;
      const client = await connectHop(hop, sock, opts, i === chain.length - 1 ? opts.agent : undefined, dialed);
      dialed.clients.push(client);
      prev = { client, hop };
    }
  } catch (err) {
    dialed.close();
    throw err;
  }
  return dialed;
}
