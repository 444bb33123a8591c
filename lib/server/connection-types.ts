/**
 * What a client connection needs from the portal and the facts it carries,
 * shared by the connection's owner (connection.ts) and the login dispatch.
 */
import type { Connection } from 'ssh2';
import type { ClusterService } from '../cluster/index.js';
import type { ServerConfig } from '../config/server-config.js';
import type { Database } from '../db/database.js';
import type { LiveControl } from '../live/index.js';
import type { ViewerGuard } from '../live/serve.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/index.js';
import type { PortalFacts } from '../shell/context.js';
import type { Tunnels } from '../tunnel/index.js';
import type { Identity } from './auth.js';
import type { LiveConnection, LiveConnections } from './drain.js';
import type { AuthThrottle } from './guard.js';
import type { PrincipalConnections } from './principal-limit.js';
import type { Revocation } from './revocation.js';
import type { TerminalSession } from './terminal-sessions.js';
import type { SocketControl } from './tracked-socket.js';

/** What a connection needs from the portal. */
export interface ConnectionDeps {
  db: Database;
  log: Logger;
  config: ServerConfig;
  version: string;
  now: () => Date;
  /** Per-address failure throttle shared by every connection of this node. */
  throttle: AuthThrottle;
  /** Counters of connections and refused logins. */
  metrics: Metrics;
  /** The node link's serving side, node liveness for the shell, the cluster key's fingerprint. */
  cluster: ClusterService;
  /** Live user connections and the draining state of this node. */
  live: LiveConnections;
  /** Re-checks access of live connections (ends revoked ones). */
  revocation: Revocation;
  /** Live connections per user or key (`--max-user-connections`). */
  principals: PrincipalConnections;
  /** Reverse-tunnel connectors of this node (and, through the node link, of the others). */
  tunnels: Tunnels;
  /** The portal's address and host key (for `host tunnel-invite`). */
  portal: PortalFacts;
  /** Stop, viewer counts and recordings of live sessions (the admin shell's). */
  liveSessions: LiveControl;
  /** Serves a `watch:ID` / `join:ID` session channel (lib/live); resolves with its exit status. */
  viewer(who: Extract<Identity, { kind: 'user' }>, mode: 'watch' | 'join', session: string, s: TerminalSession, ctx: ConnectionContext, guard: ViewerGuard): Promise<number>;
  /** Hands an authenticated host login to the relay. */
  bastion(conn: Connection, who: Extract<Identity, { kind: 'user' }>, target: string, ctx: ConnectionContext): LiveConnection;
}

/** Facts about one client connection. */
export interface ConnectionContext {
  id: string;
  remoteAddr: string;
  log: Logger;
  /** The connection's socket, to drop it for sure. */
  control: SocketControl;
}
