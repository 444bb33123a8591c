import { randomBytes } from 'node:crypto';
import type { Connection, ClientInfo } from 'ssh2';
import type { ServerConfig } from '../config/server-config.js';
import type { Database } from '../db/database.js';
import { recordEvent } from '../db/events.js';
import { redeemInvite } from '../db/identity.js';
import type { Logger } from '../log.js';
import { classifyLogin } from '../routing/login.js';
import { runShell } from '../shell/index.js';
import { authenticate, type AuthState, type Identity } from './auth.js';
import { crlfWriter } from './pty-output.js';
import { serveTerminalSessions, type TerminalSession } from './terminal-sessions.js';

/** What a connection needs from the portal. */
export interface ConnectionDeps {
  db: Database;
  log: Logger;
  config: ServerConfig;
  version: string;
  now: () => Date;
  /** Hands an authenticated host login to the relay. */
  bastion(conn: Connection, who: Extract<Identity, { kind: 'user' }>, target: string, ctx: ConnectionContext): void;
}

/** Facts about one client connection. */
export interface ConnectionContext {
  id: string;
  remoteAddr: string;
  log: Logger;
}

/** How long an unauthenticated connection may stay (sshd's LoginGraceTime). */
const loginGraceMs = 120_000;

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
      return serveTerminalSessions(conn, async (s) => { s.channel.write('OK\n'); return 0; }, ctx.log);
    case 'invite':
      return serveTerminalSessions(conn, (s) => inviteSession(deps, who, ctx, s), ctx.log);
    case 'user': {
      const login = state.login;
      ctx.log.info('user authenticated', { user: who.user.name, fingerprint: who.key.fingerprint, login: login.kind });
      if (login.kind === 'config' || (login.kind === 'host' && login.target === who.user.name)) {
        return serveTerminalSessions(conn, (s) => shellSession(deps, who, ctx, s), ctx.log);
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
 * Owns one client connection from TCP accept to close: authentication,
 * login classification and the hand-off to the right service.
 * Returns a function that closes the connection.
 */
export function handleConnection(conn: Connection, info: ClientInfo, deps: ConnectionDeps): () => void {
  const remoteAddr = `${info.ip}:${info.port}`;
  const id = randomBytes(4).toString('hex');
  const ctx: ConnectionContext = { id, remoteAddr, log: deps.log.child({ conn: id, remote: remoteAddr }) };
  let state: AuthState | null = null;
  const grace = setTimeout(() => { ctx.log.info('login grace time exceeded'); conn.end(); }, loginGraceMs);
  grace.unref();
  const authDeps = {
    db: deps.db, log: ctx.log, now: deps.now,
    onFailure: (reason: string, fingerprint: string | null) => {
      ctx.log.info('authentication refused', { user: username, reason, fingerprint });
      void recordEvent(deps.db.manager, { authorId: null, domain: 'auth', action: 'failure', entity: username,
        args: { remote_addr: remoteAddr, fingerprint, reason } }).catch(() => undefined);
    },
  };
  let rawUser: string | null = null;
  /** The login name as logs show it: an invite token is a secret. */
  let username = '';
  conn.on('authentication', (authCtx) => {
    if (!state || authCtx.username !== rawUser) {
      rawUser = authCtx.username;
      state = { login: classifyLogin(rawUser, deps.config), identity: null, refusals: [] };
      username = state.login.kind === 'invite' ? 'invite:[redacted]' : rawUser;
    }
    authenticate(authCtx, state, authDeps).catch((err: unknown) => {
      ctx.log.error('authentication failed', { err });
      authCtx.reject();
    });
  });
  conn.on('ready', () => {
    clearTimeout(grace);
    if (state) onReady(conn, state, deps, ctx);
  });
  conn.on('error', (err) => ctx.log.debug('connection error', { err }));
  conn.on('close', () => clearTimeout(grace));
  return () => conn.end();
}
