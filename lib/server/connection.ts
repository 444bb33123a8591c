import { randomBytes } from 'node:crypto';
import type { Connection, ClientInfo } from 'ssh2';
import { asDatabaseError } from '../db/database.js';
import { recordEvent } from '../db/events.js';
import { DatabaseUnavailableError } from '../errors.js';
import { classifyLogin } from '../routing/login.js';
import { enforceChannelWindows } from '../ssh/channel-window.js';
import { retryStderrOnAdjust } from '../ssh/pending-writes.js';
import { trimHandshakes } from '../ssh/handshake-trim.js';
import { authenticate, type AuthState, type Identity } from './auth.js';
import type { ConnectionContext, ConnectionDeps } from './connection-types.js';
import { drainingRefusal } from './drain.js';
import { serveHealthcheck } from './healthcheck.js';
import type { SocketControl } from './tracked-socket.js';
import { serveUser } from './login-dispatch.js';
import { LogEvery, LogEveryPerKey } from './log-every.js';

export type { ConnectionContext, ConnectionDeps } from './connection-types.js';

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

/** One line per 10 s at most: a client retrying in a loop must not flood the log. */
const principalLog = new LogEvery(10_000);
/** Connections already open whose address went into cool-down, or a balancer's own ones in it: one line per key per 10 s. */
const coolDownLog = new LogEveryPerKey(10_000);

/** Counts the connection against its principal; false (logged, dropped) past `--max-user-connections`. */
function holdPrincipal(conn: Connection, who: Exclude<Identity, { kind: 'healthcheck' }>, deps: ConnectionDeps, ctx: ConnectionContext, control: SocketControl): boolean {
  const principal = principalOf(who);
  if (principal === null) return true;
  const release = deps.principals.take(principal);
  if (release) {
    // Plain listeners for the one 'close' (a `once` wrapper is kept for the connection's life); releases are idempotent.
    conn.on('close', release);
    return true;
  }
  const l = principalLog.take(deps.now().getTime());
  if (l.log) ctx.log.warn('connection refused: --max-user-connections reached', { principal, max: deps.principals.max, alsoRefusedSinceLastLine: l.held });
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
    conn.on('close', remove);
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
  const ctx: ConnectionContext = { id, remoteAddr, log: deps.log.child({ conn: id, remote: remoteAddr }), control };
  const { throttle } = deps;
  const throttleKey = control.throttleKey ?? info.ip;
  trimHandshakes(conn);
  // A client that overruns a channel window would otherwise be buffered without bound.
  enforceChannelWindows(conn, (sent, window) => {
    ctx.log.warn('client sent past its channel window: connection dropped', { sent, window });
    control.drop();
  });
  // ssh2 resumes only stdout's waiting write after a window adjust: a waiting stderr write would wait for good.
  retryStderrOnAdjust(conn);
  let state: AuthState | null = null;
  let attempts = 0;
  let rawUser: string | null = null;
  /** The login name as logs show it: an invite token is a secret. */
  let username = '';
  /** Set when authentication could not reach the database or the node drains: not the client's fault. */
  let notClientsFault = false;
  /** A refused connector is one `tunnel`/`refused` event, not one per failed attempt. */
  let tunnelRefused = false;
  /** Set once the authenticated connection was handed to its service. */
  let handedOff = false;
  const failed = (reason: string, fingerprint: string | null, counted = true): void => {
    ctx.log.info('authentication refused', { user: username, reason, fingerprint });
    deps.metrics.authFailure();
    if (!counted) notClientsFault = true;
    else if (throttle.fail(throttleKey, deps.now().getTime())) {
      ctx.log.warn('address in authentication cool-down', { address: throttleKey, cooldownMs: deps.config.authCooldownMs });
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
    const v = throttle.verdict(throttleKey, deps.now().getTime());
    // In cool-down since this connection was accepted, or one naming no client (let in for the
    // balancer's health checks, which need no key): refused like at accept, without counting
    // another failure or writing an event (a loop of them must not flood the audit trail).
    if (v.kind === 'refuse' && authCtx.method !== 'none' && current.login.kind !== 'healthcheck') {
      notClientsFault = true;
      const l = coolDownLog.take(throttleKey, deps.now().getTime());
      if (l.log) ctx.log.info('connection refused: address in authentication cool-down', { address: throttleKey, alsoRefusedSinceLastLine: l.held });
      authCtx.reject();
      return control.drop();
    }
    if (v.kind === 'throttle' && authCtx.method !== 'none') setTimeout(run, v.delayMs).unref();
    else run();
  });
  conn.on('ready', () => {
    if (!state) return void conn.end();
    const s = state;
    onReady(conn, s, deps, ctx, control);
    // Handed off: this handler keeps only that the client got in, not who (the user row and its relations), for the connection's life.
    if (s.identity) { handedOff = true; s.identity = null; }
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
    // A connection that tried and never got in is one failed login for its address, unless the
    // portal shed it for a newer one: under a burst of logins from one NAT address, counting those
    // would refuse the whole address for --auth-cooldown because the portal was busy.
    if (state && !state.identity && !handedOff && attempts > 0 && state.login.kind !== 'healthcheck' && !notClientsFault && !control.shed()) failed(state.refusals.at(-1) ?? 'no accepted key', null);
  });
}
