import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import type { ListenAddress } from '../config/bind-address.js';
import type { Logger } from '../log.js';
import { releaseWrittenPackets } from '../ssh/packet-pool.js';
import { parseSigningKey } from '../ssh/signing-keys.js';
import { guardOutput, type OutputLimits } from './backpressure.js';
import { PendingConnections, type AuthThrottle } from './guard.js';
import { balancerOwnKey, readProxyHeader, watchForProxyHeader } from './proxy-header.js';
import { Tracked, type SocketControl, type TrackedOps } from './tracked-socket.js';
import { LogEvery, LogEveryPerKey } from './log-every.js';

/** Called for each client that sent its SSH identification. */
export type ConnectionHandler = (conn: Connection, info: ssh2.ClientInfo, control: SocketControl) => void;

/** Pre-auth limits enforced on raw sockets, before SSH even starts. */
export interface ListenerLimits {
  loginGraceMs: number;
  maxStartups: number;
  /** Most concurrent connections of any kind (`--max-connections`). */
  maxConnections: number;
  /** Backpressure on each socket's unsent output. */
  output: OutputLimits;
  /** Ciphers offered to clients. */
  ciphers: readonly string[];
  throttle: AuthThrottle;
  now: () => number;
  /**
   * Peers that are load balancers speaking the PROXY protocol (`--trusted-proxies`):
   * they must open with a header naming the real client, and nobody else may send one.
   */
  trustedProxy?: (ip: string) => boolean;
  /** Keepalive probes to authenticated clients (default {@link defaultKeepalive}). */
  keepalive?: Keepalive;
}

/** Keepalive probes sent to every authenticated client (like sshd's ClientAlive*). */
export interface Keepalive {
  intervalMs: number;
  /** Unanswered probes after which the client is dropped. */
  countMax: number;
}

/** The client's address as logs show it (the PROXY header's, behind a balancer). */
function remoteOf(t: Tracked): string {
  return t.client ? `${t.client.ip}:${t.client.port}` : t.key;
}

/** How long a dropped peer gets to read our DISCONNECT before its socket is destroyed. */
export const dropLingerMs = 1_000;
/** While connections are refused (--max-connections, cool-down) or shed (--max-startups), one log line per this period. */
const fullLogEveryMs = 10_000;
/** A client silent for 3 probes 15 s apart is dropped (a tunnel connector behind a dead NAT, a vanished laptop). */
const defaultKeepalive: Keepalive = { intervalMs: 15_000, countMax: 3 };

/**
 * The SSH listener: owns the TCP server, every client socket and the ssh2
 * server they are handed to. Sockets are accepted here (not by ssh2) so that
 * the login grace time and the cap on unauthenticated connections also apply
 * to peers that never send a byte.
 */
export class SshListener {
  readonly #ssh: ssh2.Server;
  /** Serves new connections while the node drains: the same, with ` draining` in the identification line. */
  #drainingSsh: ssh2.Server | null = null;
  readonly #makeSsh: (ident: string) => ssh2.Server;
  readonly #ident: string;
  readonly #tcp: Server;
  /** Every accepted socket, by the socket itself (not by the peer's address and port: two connections may share them). */
  readonly #tracked = new Map<Socket, Tracked>();
  readonly #ops: TrackedOps = {
    authenticated: (t) => this.#authenticated(t),
    drop: (t) => this.#drop(t),
    paused: (t, pending) => this.#log.info('client is not reading: input paused', { remote: remoteOf(t), pending }),
    stuck: (t, pending) => {
      this.#log.warn('dropping a client that stopped reading', { remote: remoteOf(t), pending, afterMs: this.#limits.output.stuckMs });
      this.#drop(t);
    },
  };
  readonly #pending: PendingConnections<Tracked>;
  readonly #log: Logger;
  readonly #limits: ListenerLimits;
  /** Tracked sockets not being dropped: what --max-connections counts. */
  #live = 0;
  readonly #fullLog = new LogEvery(fullLogEveryMs);
  readonly #coolDownLog = new LogEveryPerKey(fullLogEveryMs);
  readonly #shedLog = new LogEvery(fullLogEveryMs);

  constructor(hostKey: string, handler: ConnectionHandler, limits: ListenerLimits, log: Logger, ident = 'sshportal') {
    this.#log = log;
    this.#limits = limits;
    this.#pending = new PendingConnections(limits.maxStartups);
    this.#ident = ident;
    // Parsed once: every login signs with it.
    const key = parseSigningKey(hostKey);
    this.#makeSsh = (id) => new ssh2.Server({
      // As `{ key }`: ssh2 reads a bare object as one, and passes a parsed key through.
      hostKeys: [{ key }],
      ident: id,
      algorithms: { cipher: [...limits.ciphers] as ssh2.CipherAlgorithm[] },
      // Like sshd's ClientAlive*: a peer that stops answering (a tunnel connector behind a dead NAT) is dropped.
      keepaliveInterval: (limits.keepalive ?? defaultKeepalive).intervalMs, keepaliveCountMax: (limits.keepalive ?? defaultKeepalive).countMax,
    }, (conn, info) => {
      // ssh2 keeps the socket it was handed as the connection's `_sock`.
      const sock = (conn as unknown as { _sock?: unknown })._sock;
      const t = sock instanceof Socket ? this.#tracked.get(sock) : undefined;
      if (!t) return void conn.end();
      t.conn = conn;
      // Garbage on the port must never take the server down.
      conn.on('error', () => undefined);
      // Behind a trusted balancer the socket's peer is the balancer: every later use sees the client.
      handler(conn, t.client ? { ...info, ...t.client } : info, t);
    }).on('error', (err: Error) => this.#log.debug('ssh error', { err }));
    this.#ssh = this.#makeSsh(ident);
    this.#tcp = createServer((socket) => this.#accept(socket));
    this.#tcp.on('error', (err: Error) => this.#log.warn('listener error', { err }));
  }

  #accept(socket: Socket): void {
    const ip = socket.remoteAddress ?? '';
    const key = `${ip}:${socket.remotePort ?? 0}`;
    socket.on('error', () => undefined);
    if (this.#cooledDown(ip, key)) return void socket.destroy();
    if (!this.#makeRoom()) return this.#refuse(socket, key);
    socket.setNoDelay(true);
    const grace = setTimeout(() => {
      this.#log.info('login grace time exceeded', { remote: remoteOf(tracked) });
      this.#drop(tracked);
    }, this.#limits.loginGraceMs);
    grace.unref();
    const tracked = new Tracked(key, socket, grace, this.#ops);
    this.#tracked.set(socket, tracked);
    this.#live++;
    // A plain listener for the one 'close' (a `once` wrapper is kept for the connection's life).
    socket.on('close', () => {
      clearTimeout(tracked.grace);
      if (!tracked.dropping) this.#live--;
      this.#tracked.delete(socket);
      this.#pending.remove(tracked);
    });
    for (const old of this.#pending.add(tracked)) {
      const l = this.#shedLog.take(this.#limits.now());
      if (l.log) this.#log.info('dropping the oldest unauthenticated connection', { remote: remoteOf(old), max: this.#limits.maxStartups, alsoDroppedSinceLastLine: l.held });
      this.#shed(old);
    }
    this.#start(tracked, ip);
  }

  #cooledDown(ip: string, remote: string): boolean {
    const now = this.#limits.now();
    if (this.#limits.throttle.verdict(ip, now).kind !== 'refuse') return false;
    // An address in cool-down that reconnects in a loop: one line per period for it, not one per connection.
    const l = this.#coolDownLog.take(ip, now);
    if (l.log) this.#log.info('connection refused: address in authentication cool-down', { remote, alsoRefusedSinceLastLine: l.held });
    return true;
  }

  /**
   * Hands the socket to SSH. A trusted balancer's header is read first, under
   * the login grace timer already running; from anyone else a header is refused.
   */
  #start(t: Tracked, ip: string): void {
    const socket = t.socket;
    const refuse = (reason: string): void => {
      this.#log.info('connection refused: bad PROXY protocol header', { remote: t.key, reason });
      socket.destroy();
    };
    if (!this.#limits.trustedProxy?.(ip)) {
      this.#inject(t);
      return watchForProxyHeader(socket, () => refuse('PROXY protocol header from an untrusted address'));
    }
    readProxyHeader(socket, (header) => {
      if (!this.#tracked.has(socket)) return;
      if (header.kind === 'invalid') return refuse(`${header.reason} (from a trusted proxy)`);
      if (header.kind === 'proxied') {
        const { address, port, family } = header.source;
        t.client = { ip: address, port, family };
        if (this.#cooledDown(address, `${address}:${port}`)) return void socket.destroy();
      } else {
        // The balancer speaks for itself (health checks) or could not tell: failures here must not cool down
        // its own address, every client's. In cool-down, such connections are refused keys, not the TCP link.
        t.throttleKey = balancerOwnKey(ip);
      }
      this.#inject(t);
    });
  }

  /** Hands the socket to SSH, with backpressure on its output. */
  #inject(t: Tracked): void {
    const socket = t.socket;
    (this.#drainingSsh ?? this.#ssh).injectSocket(socket);
    releaseWrittenPackets(socket);
    // After injection: ssh2 paused the socket, so this listener does not start the flow early.
    if (this.#tracked.has(socket)) guardOutput(socket, this.#limits.output, t);
  }

  /**
   * Whether one more connection fits under --max-connections. When full, the
   * oldest unauthenticated connection makes room (as with --max-startups, a
   * flood without keys cannot keep a real user out); only authenticated ones
   * fill the portal for good.
   */
  #makeRoom(): boolean {
    if (this.#live < this.#limits.maxConnections) return true;
    const oldest = this.#pending.oldest();
    if (oldest === undefined) return false;
    this.#log.info('dropping the oldest unauthenticated connection', { remote: remoteOf(oldest), maxConnections: this.#limits.maxConnections });
    this.#shed(oldest);
    return true;
  }

  /** Drops a connection to make room for a newer one. */
  #shed(t: Tracked): void {
    t.wasShed = true;
    this.#drop(t);
  }

  #refuse(socket: Socket, key: string): void {
    const l = this.#fullLog.take(this.#limits.now());
    if (l.log) this.#log.warn('connection refused: --max-connections reached', { remote: key, max: this.#limits.maxConnections, refused: l.held + 1 });
    socket.destroy();
  }

  #authenticated(t: Tracked): void {
    clearTimeout(t.grace);
    t.grace = undefined;
    this.#pending.remove(t);
  }

  #drop(t: Tracked): void {
    if (!this.#tracked.has(t.socket) || t.dropping) return;
    t.dropping = true;
    this.#live--;
    this.#pending.remove(t);
    if (t.conn) t.conn.end();
    else t.socket.end();
    setTimeout(() => t.socket.destroy(), dropLingerMs).unref();
  }

  /** Starts listening; resolves with the bound address. */
  listen(addr: ListenAddress): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#tcp.once('error', onError);
      this.#tcp.listen(addr.port, addr.host, () => {
        this.#tcp.off('error', onError);
        resolve(this.#tcp.address() as AddressInfo);
      });
    });
  }

  /**
   * From now on, new connections greet with `SSH-2.0-<ident> draining` (an
   * SSH comment, RFC 4253 4.2): a balancer that checks only the identification
   * line sees the drain without logging in (examples/mysql/haproxy.cfg).
   */
  startDraining(): void {
    this.#drainingSsh ??= this.#makeSsh(`${this.#ident} draining`);
  }

  /** Connections open now (any kind, dropped ones lingering excluded). */
  get connections(): number {
    return this.#live;
  }

  /** The bound address. */
  address(): AddressInfo {
    return this.#tcp.address() as AddressInfo;
  }

  /** Stops listening and ends every client connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#tcp.close(() => resolve());
      for (const t of [...this.#tracked.values()]) this.#drop(t);
    });
  }
}
