/**
 * One socket the SSH listener accepted, as the listener tracks it and as its
 * connection handler controls it ({@link SocketControl}).
 */
import type { Socket } from 'node:net';
import type ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import type { OutputGuardEvents } from './backpressure.js';

/** What the listener tells a connection handler about its socket. */
export interface SocketControl {
  /** The connection authenticated: it leaves the pre-auth limits. */
  authenticated(): void;
  /** Ends the connection for sure: DISCONNECT, then the socket is destroyed after a short linger. */
  drop(): void;
  /**
   * Whether the listener dropped this connection to make room for a newer one
   * (--max-startups, --max-connections): the portal's load, not the client's
   * doing, so not a failed login of its address.
   */
  shed(): boolean;
  /**
   * What failed logins on this connection count against, when it is not the
   * client's address: a trusted balancer's own connections (PROXY `LOCAL`,
   * `UNKNOWN`) share one key of their own, so that their failures never put
   * the balancer's address — every client behind it — in cool-down.
   */
  readonly throttleKey?: string;
}

/** The real client behind a trusted balancer, as its PROXY header names it. */
export type ClientAddress = Pick<ssh2.ClientInfo, 'ip' | 'port' | 'family'>;

/** What the listener does for a tracked socket's control (one object per listener). */
export interface TrackedOps {
  authenticated(t: Tracked): void;
  drop(t: Tracked): void;
  paused(t: Tracked, pending: number): void;
  stuck(t: Tracked, pending: number): void;
}

/**
 * One accepted socket, and the {@link SocketControl} its handler gets: methods,
 * not three closures per connection (a connection lives for hours, issue 13).
 */
export class Tracked implements SocketControl, OutputGuardEvents {
  /**
   * The peer's `ip:port`, for logs only: two live connections can share it
   * (the same source port to two addresses of this host), so nothing is looked up by it.
   */
  readonly key: string;
  readonly socket: Socket;
  grace: NodeJS.Timeout | undefined;
  conn?: Connection;
  client?: ClientAddress;
  throttleKey?: string;
  dropping = false;
  wasShed = false;
  readonly #ops: TrackedOps;

  constructor(key: string, socket: Socket, grace: NodeJS.Timeout, ops: TrackedOps) {
    this.key = key;
    this.socket = socket;
    this.grace = grace;
    this.#ops = ops;
  }

  authenticated(): void { this.#ops.authenticated(this); }

  drop(): void { this.#ops.drop(this); }

  shed(): boolean { return this.wasShed; }

  paused(pending: number): void { this.#ops.paused(this, pending); }

  stuck(pending: number): void { this.#ops.stuck(this, pending); }
}
