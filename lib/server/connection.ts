import { randomBytes } from 'node:crypto';
import type { Connection, ClientInfo, ServerChannel } from 'ssh2';
import type { ClusterService } from '../cluster/index.js';
import type { ServerConfig } from '../config/server-config.js';
import { asDatabaseError, type Database } from '../db/database.js';
import { recordEvent } from '../db/events.js';
import { redeemInvite } from '../db/identity.js';
import { DatabaseUnavailableError } from '../errors.js';
import type { LiveControl } from '../live/index.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/index.js';
import { limitsFrom } from '../proxy/limits.js';
import { classifyLogin, userLogin } from '../routing/login.js';
import { runShell } from '../shell/index.js';
import type { PortalFacts } from '../shell/context.js';
import { enforceChannelWindows } from '../ssh/channel-window.js';
import type { Tunnels } from '../tunnel/index.js';
import { authenticate, type AuthState, type Identity } from './auth.js';
import { serveConnector } from './connector.js';
import { drainingRefusal, type LiveConnection, type LiveConnections } from './drain.js';
import type { AuthThrottle } from './guard.js';
import type { PrincipalConnections } from './principal-limit.js';
import { serveHealthcheck } from './healthcheck.js';
import type { SocketControl } from './listener.js';
import { crlfWriter } from './pty-output.js';
import type { LiveTicket, Revocation } from './revocation.js';
import { finishChannel, serveTerminalSessions, type TerminalSession } from './terminal-sessions.js';

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
  viewer(who: Extract<Identity, { kind: 'user' }>, mode: 'watch' | 'join', session: string, s: TerminalSession, ctx: ConnectionContext): Promise<number>;
  /** Hands an authenticated host login to the relay. */
  bastion(conn: Connection, who: Extract<Identity, { kind: 'user' }>, target: string, ctx: ConnectionContext): LiveConnection;
}

/** Facts about one client connection. */
export interface ConnectionContext {
  id: string;
  remoteAddr: string;
  log: Logger;
}

async function inviteSession(deps: ConnectionDeps, who: Extract<Identity, { kind: 'invite' }>, ctx: ConnectionContext, s: TerminalSession): Promise<number> {
  const user = await redeemInvite(deps.db, who.token, who.key, who.authorizedKey, ctx.remoteAddr, deps.now());
  ctx.log.info('invite redeemed', { user: user.name, fingerprint: who.key.fingerprint });
  const out = s.pty ? crlfWriter(s.channel) : s.channel;
  out.write(`Welcome ${user.name}!\n\nYour key is now associated with the user "${user.email}".\n`);
  return 0;
}

/** An admin shell connection as revocation sees it. */
interface ShellTracking {
  ticket: LiveTicket;
  /** Its open session channels, with their line ending (a terminal needs CR LF). */
  open: Map<ServerChannel, string>;
  /** Channels that already show why they were refused. */
  told: WeakSet<ServerChannel>;
}

/**
 * Tracks an admin shell connection for revocation: removing the user, the key
 * or a role it held ends the connection, after a line on every open channel.
 */
function trackShell(conn: Connection, deps: ConnectionDeps, who: Extract<Identity, { kind: 'user' }>, ctx: ConnectionContext): ShellTracking {
  const open = new Map<ServerChannel, string>();
  const told = new WeakSet<ServerChannel>();
  const ticket = deps.revocation.track({
    subject: { userId: who.user.id, fingerprint: who.key.fingerprint, login: { kind: 'shell', roles: (who.user.roles ?? []).map((r) => r.name) } },
    userName: who.user.name, remoteAddr: ctx.remoteAddr, log: ctx.log,
    end: (message) => {
      for (const [ch, eol] of open) if (!told.has(ch)) void finishChannel(ch, 255, ctx.log, `error: ${message}${eol}`);
      // Channels close (their last line shown) before the connection does; bounded, a client that stopped reading is cut anyway.
      const closed = Promise.all([...open.keys()].map((ch) => new Promise((r) => ch.once('close', r))));
      void Promise.race([closed, new Promise((r) => setTimeout(r, 1_000))]).then(() => conn.end());
    },
  });
  conn.once('close', () => ticket.release());
  return { ticket, open, told };
}

async function shellSession(deps: ConnectionDeps, who: Extract<Identity, { kind: 'user' }>, ctx: ConnectionContext, s: TerminalSession, live: ShellTracking): Promise<number> {
  live.open.set(s.channel, s.pty ? '\r\n' : '\n');
  s.channel.once('close', () => live.open.delete(s.channel));
  // Every channel re-checks access: a multiplexed (ControlMaster) connection outlives revocations.
  try {
    await live.ticket.check();
  } catch (err) {
    // Its error line is written by the caller; the revocation's own line would repeat it.
    live.told.add(s.channel);
    throw err;
  }
  const io = {
    input: s.channel,
    output: s.pty ? crlfWriter(s.channel) : s.channel,
    errorOutput: s.pty ? crlfWriter(s.channel.stderr) : s.channel.stderr,
    rawOutput: s.channel,
    pty: s.pty,
    onResize: s.onResize,
  };
  const command = s.request.kind === 'exec' ? s.request.command : null;
  return runShell(deps, { user: who.user, remoteAddr: ctx.remoteAddr }, io, command);
}

/** Starts serving an authenticated user or invite login; returns what a drain tells, or null when nothing is served. */
function serveUser(conn: Connection, state: AuthState, who: Exclude<Identity, { kind: 'healthcheck' }>, deps: ConnectionDeps, ctx: ConnectionContext): LiveConnection | null {
  switch (who.kind) {
    case 'invite':
      return serveTerminalSessions(conn, (s) => inviteSession(deps, who, ctx, s), ctx.log, { limits: limitsFrom(deps.config) });
    case 'peer':
      // The name is only a label (the cluster key proved a node), but it reaches logs: keep it tame.
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(who.node)) conn.end();
      else deps.cluster.serve(conn, who.node, ctx.log.child({ peer: who.node }));
      // A node link is no user connection: a drain does not wait for it.
      return null;
    case 'connector':
      serveConnector(conn, who, ctx.remoteAddr, deps, ctx.log.child({ tunnel: who.host.name }));
      // A connector is no user connection: a drain does not wait for it.
      return null;
    case 'user': {
      const login = state.login;
      ctx.log.info('user authenticated', { user: who.user.name, fingerprint: who.key.fingerprint, login: login.kind });
      const to = userLogin(login, who.user.name);
      if (to?.kind === 'shell') {
        const live = trackShell(conn, deps, who, ctx);
        return serveTerminalSessions(conn, (s) => shellSession(deps, who, ctx, s, live), ctx.log, { limits: limitsFrom(deps.config) });
      }
      if (to?.kind === 'host') return deps.bastion(conn, who, to.target, ctx);
      if (to?.kind === 'live') {
        const live = trackShell(conn, deps, who, ctx);
        return serveTerminalSessions(conn, async (s) => {
          live.open.set(s.channel, '\r\n');
          s.channel.once('close', () => live.open.delete(s.channel));
          return deps.viewer(who, to.mode, to.session, s, ctx);
        }, ctx.log, { maxSessions: 1, limits: limitsFrom(deps.config) });
      }
      conn.end();
      return null;
    }
    default: {
      const never: never = who;
      return never;
    }
  }
}

/** Who a connection counts against in `--max-user-connections` (node links: nobody). */
function principalOf(who: Exclude<Identity, { kind: 'healthcheck' }>): string | null {
  switch (who.kind) {
    case 'user': return `user:${who.user.id}`;
    case 'invite':
    case 'connector': return `key:${who.key.fingerprint}`;
    case 'peer': return null;
    default: {
      const never: never = who;
      return never;
    }
  }
}

let lastPrincipalLog = -Infinity;

/** Counts the connection against its principal; false (logged, dropped) past `--max-user-connections`. */
function holdPrincipal(conn: Connection, who: Exclude<Identity, { kind: 'healthcheck' }>, deps: ConnectionDeps, ctx: ConnectionContext, control: SocketControl): boolean {
  const principal = principalOf(who);
  if (principal === null) return true;
  const release = deps.principals.take(principal);
  if (release) {
    conn.once('close', release);
    return true;
  }
  // One line per 10 s at most: a client retrying in a loop must not flood the log.
  const now = deps.now().getTime();
  if (now - lastPrincipalLog >= 10_000) {
    lastPrincipalLog = now;
    ctx.log.warn('connection refused: --max-user-connections reached', { principal, max: deps.principals.max });
  }
  control.drop();
  return false;
}

function onReady(conn: Connection, state: AuthState, deps: ConnectionDeps, ctx: ConnectionContext, control: SocketControl): void {
  const who = state.identity;
  if (!who) return void conn.end();
  // A healthcheck stays under the pre-auth limits until it is closed, shortly after its answer.
  if (who.kind === 'healthcheck') return serveHealthcheck(conn, { log: ctx.log, draining: () => deps.live.draining, drop: () => control.drop() });
  if (!holdPrincipal(conn, who, deps, ctx, control)) return;
  control.authenticated();
  const live = serveUser(conn, state, who, deps, ctx);
  if (live) {
    const remove = deps.live.add(live);
    conn.once('close', remove);
  }
}

/**
 * Owns one client connection from TCP accept to close: pre-auth limits,
 * authentication, login classification and the hand-off to the right service.
 * Returns a function that closes the connection.
 */
export function handleConnection(conn: Connection, info: ClientInfo, control: SocketControl, deps: ConnectionDeps): void {
  const remoteAddr = `${info.ip}:${info.port}`;
  const id = randomBytes(4).toString('hex');
  const ctx: ConnectionContext = { id, remoteAddr, log: deps.log.child({ conn: id, remote: remoteAddr }) };
  const { throttle } = deps;
  // A client that overruns a channel window would otherwise be buffered without bound.
  enforceChannelWindows(conn, (sent, window) => {
    ctx.log.warn('client sent past its channel window: connection dropped', { sent, window });
    control.drop();
  });
  let state: AuthState | null = null;
  let attempts = 0;
  let rawUser: string | null = null;
  /** The login name as logs show it: an invite token is a secret. */
  let username = '';
  /** Set when authentication could not reach the database or the node drains: not the client's fault. */
  let notClientsFault = false;
  /** A refused connector is one `tunnel`/`refused` event, not one per failed attempt. */
  let tunnelRefused = false;
  const failed = (reason: string, fingerprint: string | null, counted = true): void => {
    ctx.log.info('authentication refused', { user: username, reason, fingerprint });
    deps.metrics.authFailure();
    if (!counted) notClientsFault = true;
    else if (throttle.fail(info.ip, deps.now().getTime())) {
      ctx.log.warn('address in authentication cool-down', { address: info.ip, cooldownMs: deps.config.authCooldownMs });
    }
    void recordEvent(deps.db.manager, { authorId: null, domain: 'auth', action: 'failure', entity: username,
      args: { remote_addr: remoteAddr, fingerprint, reason } }).catch(() => undefined);
    const login = state?.login;
    if ((login?.kind === 'tunnel' || login?.kind === 'tunnel-invite') && !tunnelRefused) {
      tunnelRefused = true;
      void recordEvent(deps.db.manager, { authorId: null, domain: 'tunnel', action: 'refused', entity: login.kind === 'tunnel' ? login.host : '',
        args: { remote_addr: remoteAddr, fingerprint, reason } }).catch(() => undefined);
    }
  };
  const authDeps = { db: deps.db, log: ctx.log, now: deps.now, clusterFingerprint: deps.cluster.fingerprint, onFailure: failed, remoteAddr, connectorsOnline: (id: number) => deps.tunnels.countAll(id) };
  conn.on('authentication', (authCtx) => {
    if (!state || authCtx.username !== rawUser) {
      rawUser = authCtx.username;
      const login = classifyLogin(rawUser, deps.config);
      // Counted once, by the first login name the client offers.
      if (!state) deps.metrics.connection(login.kind);
      state = { login, identity: null, refusals: [] };
      username = state.login.kind === 'invite' ? 'invite:[redacted]' : state.login.kind === 'tunnel-invite' ? 'host-invite:[redacted]' : rawUser;
    }
    if (authCtx.method !== 'none' && ++attempts > deps.config.maxAuthTries) {
      ctx.log.info('too many authentication attempts', { user: username, max: deps.config.maxAuthTries });
      return control.drop();
    }
    const current = state;
    // A draining node refuses new users; healthchecks answer a failure, and node links stay (its live sessions are still managed).
    const refusedWhileDraining = current.login.kind !== 'healthcheck' && current.login.kind !== 'peer';
    if (deps.live.draining && refusedWhileDraining && authCtx.method !== 'keyboard-interactive') {
      // Shown through keyboard-interactive, like any refusal; not counted as a failed login.
      current.refusals.push(drainingRefusal);
      notClientsFault = true;
      return authCtx.reject(['publickey', 'keyboard-interactive']);
    }
    const run = (): void => {
      authenticate(authCtx, current, authDeps).catch((raw: unknown) => {
        const err = asDatabaseError(raw);
        if (err instanceof DatabaseUnavailableError) {
          // Shown to the client through keyboard-interactive, like any refusal.
          current.refusals.push(err.message);
          notClientsFault = true;
          ctx.log.warn('authentication impossible: database unavailable', { err: raw });
          // Keep keyboard-interactive open: it is how the client gets to read the reason.
          return authCtx.reject(['publickey', 'keyboard-interactive']);
        }
        ctx.log.error('authentication failed', { err });
        authCtx.reject();
      });
    };
    const v = throttle.verdict(info.ip, deps.now().getTime());
    if (v.kind === 'throttle' && authCtx.method !== 'none') setTimeout(run, v.delayMs).unref();
    else run();
  });
  conn.on('ready', () => {
    if (!state) return void conn.end();
    onReady(conn, state, deps, ctx, control);
  });
  conn.on('error', (err: Error & { level?: string }) => {
    ctx.log.debug('connection error', { err });
    // A peer that stopped answering keepalives may never close its side: its socket goes too, not only our half.
    if (err.level === 'client-timeout') {
      ctx.log.info('client stopped answering keepalives, dropping it');
      control.drop();
    }
  });
  conn.on('close', () => {
    if (!state) deps.metrics.connection('none');
    // A connection that tried and never got in is one failed login for its address.
    if (state && !state.identity && attempts > 0 && state.login.kind !== 'healthcheck' && !notClientsFault) failed(state.refusals.at(-1) ?? 'no accepted key', null);
  });
}
