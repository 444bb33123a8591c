/**
 * The dispatch of an authenticated login by its kind: invite redemption,
 * node link, tunnel connector, admin shell, host relay or live session view.
 */
import type { Connection, ServerChannel } from 'ssh2';
import { redeemInvite } from '../db/identity.js';
import type { ViewerGuard } from '../live/serve.js';
import { limitsFrom } from '../proxy/limits.js';
import { rememberClose } from '../ssh/channel-gone.js';
import { discard } from '../ssh/pump.js';
import { userLogin } from '../routing/login.js';
import { runShell } from '../shell/index.js';
import type { AuthState, Identity } from './auth.js';
import type { ConnectionContext, ConnectionDeps } from './connection-types.js';
import { serveConnector } from './connector.js';
import type { LiveConnection } from './drain.js';
import { crlfWriter } from './pty-output.js';
import type { LiveTicket } from './revocation.js';
import { finishChannel, serveTerminalSessions, type TerminalSession } from './terminal-sessions.js';

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
  /** Settles once access was revoked, before the open channels are told. */
  revoked: Promise<void>;
}

/**
 * Tracks an admin shell connection for revocation: removing the user, the key
 * or a role it held ends the connection, after a line on every open channel.
 */
function trackShell(conn: Connection, deps: ConnectionDeps, who: Extract<Identity, { kind: 'user' }>, ctx: ConnectionContext): ShellTracking {
  const open = new Map<ServerChannel, string>();
  const told = new WeakSet<ServerChannel>();
  let revoke: () => void = () => undefined;
  const revoked = new Promise<void>((resolve) => { revoke = resolve; });
  const ticket = deps.revocation.track({
    subject: { userId: who.user.id, fingerprint: who.key.fingerprint, login: { kind: 'shell', roles: (who.user.roles ?? []).map((r) => r.name) } },
    userName: who.user.name, remoteAddr: ctx.remoteAddr, log: ctx.log,
    end: (message) => {
      revoke();
      for (const [ch, eol] of open) if (!told.has(ch)) void finishChannel(ch, 255, ctx.log, `error: ${message}${eol}`);
      // Channels close (their last line shown) before the connection does; bounded, a client that stopped reading is cut anyway.
      const closed = Promise.all([...open.keys()].map((ch) => new Promise((r) => ch.once('close', r))));
      void Promise.race([closed, new Promise((r) => setTimeout(r, 1_000))]).then(() => conn.end());
    },
  });
  conn.once('close', () => {
    ticket.release();
    // ssh2 emits a channel's 'close' only once its readable side ended, which a channel nobody reads
    // (a command that only writes: `session export`) never does: with the connection gone, what it
    // still holds is dropped, so its 'close' comes and the command stops.
    for (const ch of open.keys()) discard(ch);
  });
  return { ticket, open, told, revoked };
}

/**
 * The guard of a `watch:ID` / `join:ID` login tracked as an admin shell: a
 * join, once let in, is also re-checked against its host's ACLs, as a relayed
 * session to that host is; a revocation stops the viewer at once.
 */
function viewerGuard(live: ShellTracking): ViewerGuard {
  return {
    joined: (g) => live.ticket.grantJoin(g.host, g.sessionId, g.request, g.decision),
    revoked: live.revoked,
  };
}

async function shellSession(deps: ConnectionDeps, who: Extract<Identity, { kind: 'user' }>, ctx: ConnectionContext, s: TerminalSession, live: ShellTracking): Promise<number> {
  live.open.set(s.channel, s.pty ? '\r\n' : '\n');
  s.channel.once('close', () => live.open.delete(s.channel));
  // Commands that wait for the channel to drain must see a 'close' that came before they started waiting.
  rememberClose(s.channel);
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

/**
 * Starts serving an authenticated user, invite, node link or connector login;
 * returns what a drain tells, or null when nothing is served.
 */
export function serveUser(conn: Connection, state: AuthState, who: Exclude<Identity, { kind: 'healthcheck' }>, deps: ConnectionDeps, ctx: ConnectionContext): LiveConnection | null {
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
      serveConnector(conn, who, ctx.remoteAddr, deps, ctx.log.child({ tunnel: who.host.name }), () => ctx.control.drop());
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
        const guard = viewerGuard(live);
        return serveTerminalSessions(conn, async (s) => {
          live.open.set(s.channel, '\r\n');
          s.channel.once('close', () => live.open.delete(s.channel));
          return deps.viewer(who, to.mode, to.session, s, ctx, guard);
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
