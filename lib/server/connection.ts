import { randomBytes } from 'node:crypto';
import type { Connection, ClientInfo } from 'ssh2';
import type { ServerConfig } from '../config/server-config.js';
import { asDatabaseError, type Database } from '../db/database.js';
import { recordEvent } from '../db/events.js';
import { redeemInvite } from '../db/identity.js';
import { DatabaseUnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/index.js';
import { limitsFrom } from '../proxy/limits.js';
import { classifyLogin } from '../routing/login.js';
import { runShell } from '../shell/index.js';
import { authenticate, type AuthState, type Identity } from './auth.js';
import type { AuthThrottle } from './guard.js';
import type { SocketControl } from './listener.js';
import { crlfWriter } from './pty-output.js';
import { serveTerminalSessions, type TerminalSession } from './terminal-sessions.js';

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
  /** Hands an authenticated host login to the relay. */
  bastion(conn: Connection, who: Extract<Identity, { kind: 'user' }>, target: string, ctx: ConnectionContext): void;
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

function shellSession(deps: ConnectionDeps, who: Extract<Identity, { kind: 'user' }>, ctx: ConnectionContext, s: TerminalSession): Promise<number> {
  const io = {
    input: s.channel,
    output: s.pty ? crlfWriter(s.channel) : s.channel,
    errorOutput: s.pty ? crlfWriter(s.channel.stderr) : s.channel.stderr,
    pty: s.pty,
    onResize: s.onResize,
  };
  const command = s.request.kind === 'exec' ? s.request.command : null;
  return runShell(deps, { user: who.user, remoteAddr: ctx.remoteAddr }, io, command);
}

function onReady(conn: Connection, state: AuthState, deps: ConnectionDeps, ctx: ConnectionContext): void {
  const who = state.identity;
  if (!who) return void conn.end();
  switch (who.kind) {
    case 'healthcheck':
      return serveTerminalSessions(conn, async (s) => { s.channel.write('OK\n'); return 0; }, ctx.log, limitsFrom(deps.config));
    case 'invite':
      return serveTerminalSessions(conn, (s) => inviteSession(deps, who, ctx, s), ctx.log, limitsFrom(deps.config));
    case 'user': {
      const login = state.login;
      ctx.log.info('user authenticated', { user: who.user.name, fingerprint: who.key.fingerprint, login: login.kind });
      if (login.kind === 'config' || (login.kind === 'host' && login.target === who.user.name)) {
        return serveTerminalSessions(conn, (s) => shellSession(deps, who, ctx, s), ctx.log, limitsFrom(deps.config));
      }
      if (login.kind === 'host') return deps.bastion(conn, who, login.target, ctx);
      return void conn.end();
    }
    default: {
      const never: never = who;
      return never;
    }
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
  let state: AuthState | null = null;
  let attempts = 0;
  let rawUser: string | null = null;
  /** The login name as logs show it: an invite token is a secret. */
  let username = '';
  /** Set when authentication could not reach the database: not the client's fault. */
  let dbUnavailable = false;
  const failed = (reason: string, fingerprint: string | null): void => {
    ctx.log.info('authentication refused', { user: username, reason, fingerprint });
    deps.metrics.authFailure();
    if (throttle.fail(info.ip, deps.now().getTime())) {
      ctx.log.warn('address in authentication cool-down', { address: info.ip, cooldownMs: deps.config.authCooldownMs });
    }
    void recordEvent(deps.db.manager, { authorId: null, domain: 'auth', action: 'failure', entity: username,
      args: { remote_addr: remoteAddr, fingerprint, reason } }).catch(() => undefined);
  };
  const authDeps = { db: deps.db, log: ctx.log, now: deps.now, onFailure: failed };
  conn.on('authentication', (authCtx) => {
    if (!state || authCtx.username !== rawUser) {
      rawUser = authCtx.username;
      const login = classifyLogin(rawUser, deps.config);
      // Counted once, by the first login name the client offers.
      if (!state) deps.metrics.connection(login.kind);
      state = { login, identity: null, refusals: [] };
      username = state.login.kind === 'invite' ? 'invite:[redacted]' : rawUser;
    }
    if (authCtx.method !== 'none' && ++attempts > deps.config.maxAuthTries) {
      ctx.log.info('too many authentication attempts', { user: username, max: deps.config.maxAuthTries });
      return void control.drop();
    }
    const current = state;
    const run = (): void => {
      authenticate(authCtx, current, authDeps).catch((raw: unknown) => {
        const err = asDatabaseError(raw);
        if (err instanceof DatabaseUnavailableError) {
          // Shown to the client through keyboard-interactive, like any refusal.
          current.refusals.push(err.message);
          dbUnavailable = true;
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
    control.authenticated();
    if (state) onReady(conn, state, deps, ctx);
  });
  conn.on('error', (err) => ctx.log.debug('connection error', { err }));
  conn.on('close', () => {
    if (!state) deps.metrics.connection('none');
    // A connection that tried and never got in is one failed login for its address.
    if (state && !state.identity && attempts > 0 && state.login.kind !== 'healthcheck' && !dbUnavailable) failed(state.refusals.at(-1) ?? 'no accepted key', null);
  });
}
