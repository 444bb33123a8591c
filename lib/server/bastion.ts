import type { Connection } from 'ssh2';
import { accessRequestOf, decideAccess, groupsOf } from '../acl/decide.js';
import { decidePolicy, type DecisivePolicy, type PolicyRequest, type PolicyVerdict } from '../acl/policy.js';
import type { LiveSessions } from '../cluster/index.js';
import type { ServerConfig } from '../config/server-config.js';
import { fingerprintOf } from '../crypto/ssh-keys.js';
import { aclsOfUserGroups } from '../db/queries/acls.js';
import { hostClientKey, hostFinder, pinHostKey } from '../db/queries/hosts.js';
import { addRecording, closeSession, openSession, setSessionCommands } from '../db/queries/sessions.js';
import { asDatabaseError, type Database } from '../db/database.js';
import type { Host } from '../db/entities/host.js';
import { recordEvent, type EventInput } from '../db/events.js';
import { ConflictError, HostKeyMismatchError, PermissionDeniedError, TunnelOfflineError, userMessage } from '../errors.js';
import type { LiveHub } from '../live/index.js';
import type { Metrics } from '../metrics/index.js';
import { limitsFrom } from '../proxy/limits.js';
import { attachRelay } from '../proxy/relay.js';
import type { StallLedger } from '../proxy/stall-budget.js';
import type { HopTarget, LivePtyOwner, LivePtyTap, RecordingPlan, RelayEvent, RelayHandle, RelayPlan, RelaySummary } from '../proxy/types.js';
import { parseRecordingMode, type RecordingMode } from '../recording-mode.js';
import { isTunnelUrl, splitHostPort } from '../routing/host-url.js';
import { findTarget, loadChain } from '../routing/hosts.js';
import type { ConnectorView, Tunnels } from '../tunnel/index.js';
import type { Identity } from './auth.js';
import { checkHostKey, type PinnedHost } from './host-key-pin.js';
import type { ConnectionContext } from './connection.js';
import type { LiveTicket, Revocation } from './revocation.js';
import { CommandLog, type CommandLogSinks } from './session-commands.js';
import type { CommandStart } from '../db/session-commands.js';

/** What the bastion path needs. */
export interface BastionDeps {
  db: Database;
  config: ServerConfig;
  now: () => Date;
  /** Live relays, so shutdown can end them. */
  relays: Set<RelayHandle>;
  /** Sessions, ACL denials, bytes and dial latency. */
  metrics: Metrics;
  /** Live sessions by row id: the node link reads their counters, the reaper skips them. */
  live: LiveSessions;
  /** Re-checks access of live connections. */
  revocation: Revocation;
  /** Reverse-tunnel connectors (tunnel hosts are reached through them). */
  tunnels: Tunnels;
  /** Live PTY session channels, for their viewers. */
  hub: LiveHub;
  /** What each user's stalled channels may hold (absent: only each channel's caps). */
  stalls?: StallLedger;
}

type UserIdentity = Extract<Identity, { kind: 'user' }>;

/** Writes an audit event; a failure is logged, never thrown at the client. Await it where the event must precede the answer. */
function audit(deps: BastionDeps, ctx: ConnectionContext, e: EventInput): Promise<void> {
  return recordEvent(deps.db.manager, e).then(
    () => undefined,
    (err: unknown) => ctx.log.warn('cannot write event', { err, domain: e.domain, action: e.action }),
  );
}

/** The host's recording mode; a value written outside the portal that names no mode refuses the session (never a silent default). */
function recordingModeOf(host: Host): RecordingMode {
  try {
    return parseRecordingMode(host.logging);
  } catch {
    throw new ConflictError(`host '${host.name}' has an invalid logging mode; an admin can set it with 'host update --logging everything ${host.name}'`);
  }
}

/** The verifier of one hop: pin on first use, refuse a change. Keeps the host's id, name and key, not its row (ssh2 keeps the verifier for the connection's life). */
function hostKeyVerifier(deps: BastionDeps, ctx: ConnectionContext, userId: number, row: Host) {
  const host: PinnedHost = { id: row.id, name: row.name, hostKey: row.hostKey };
  return async (key: string): Promise<void> => {
    try {
      if ((await checkHostKey(host, key, (id, blob) => pinHostKey(deps.db.manager, id, blob))) === 'pinned') {
        ctx.log.info('target host key pinned', { host: host.name, fingerprint: fingerprintOf(key.split(' ')[1] ?? key) });
      }
    } catch (err) {
      if (err instanceof HostKeyMismatchError) {
        await audit(deps, ctx, { authorId: userId, domain: 'host', action: 'host-key-mismatch', entity: host.name, args: { expected: err.expected, actual: err.actual } });
      }
      throw err;
    }
  };
}

async function hopTarget(deps: BastionDeps, ctx: ConnectionContext, who: UserIdentity, host: Host, routes: ReadonlyMap<number, ConnectorView>): Promise<HopTarget> {
  const { host: addr, port } = splitHostPort(host.addr);
  const key = await hostClientKey(deps.db.manager, host);
  const cipher = deps.db.cipher;
  const route = routes.get(host.id);
  return {
    name: host.name, host: addr, port, username: host.user || 'root',
    privateKey: key ? cipher.decrypt(key.privKey) : undefined,
    password: host.password ? cipher.decrypt(host.password) : undefined,
    verifyHostKey: hostKeyVerifier(deps, ctx, who.user.id, host),
    open: route ? () => deps.tunnels.open(host, route) : undefined,
  };
}

/**
 * Finds a live connector for every tunnel host of the chain; refuses the
 * session (exit 1, event) when one has none online on any node.
 */
async function tunnelRoutes(deps: BastionDeps, ctx: ConnectionContext, who: UserIdentity, chain: readonly Host[]): Promise<Map<number, ConnectorView>> {
  const routes = new Map<number, ConnectorView>();
  for (const h of chain) {
    if (!isTunnelUrl(h.url)) continue;
    const route = await deps.tunnels.locate(h.id);
    if (!route) {
      await audit(deps, ctx, { authorId: who.user.id, domain: 'tunnel', action: 'offline', entity: h.name, args: { remote_addr: ctx.remoteAddr } });
      throw new TunnelOfflineError(h.name);
    }
    routes.set(h.id, route);
  }
  return routes;
}

/**
 * The plan of one granted host session: its policy, audit and close, as
 * methods. Keeps plain values (ids and names), not the user and host rows nor
 * closures over them: a relayed session lives for hours (issue 13).
 */
class BastionPlan implements RelayPlan, CommandLogSinks {
  chain: readonly HopTarget[];
  readonly recording: RecordingPlan;
  readonly #deps: BastionDeps;
  readonly #ctx: ConnectionContext;
  readonly #userId: number;
  readonly #hostName: string;
  readonly #sessionId: number;
  readonly #policy: DecisivePolicy;
  readonly #commands: CommandLog;

  constructor(deps: BastionDeps, ctx: ConnectionContext, s: { userId: number; hostName: string; sessionId: number; policy: DecisivePolicy; chain: readonly HopTarget[]; recording: RecordingPlan }) {
    this.#deps = deps;
    this.#ctx = ctx;
    this.#userId = s.userId;
    this.#hostName = s.hostName;
    this.#sessionId = s.sessionId;
    this.#policy = s.policy;
    this.chain = s.chain;
    this.recording = s.recording;
    // Records each exec command, subsystem and shell of the session: its events and the row's list.
    this.#commands = new CommandLog(this);
  }

  check(r: PolicyRequest): PolicyVerdict { return decidePolicy(this.#policy, r); }

  /** The chain was dialed (or failed): the hops' secrets are not needed any more. */
  dialed(): void {
    for (const hop of this.chain) { hop.privateKey = undefined; hop.password = undefined; }
    this.chain = [];
  }

  live(owner: LivePtyOwner): LivePtyTap { return this.#deps.hub.register(this.#sessionId, owner); }

  // CommandLogSinks
  saveRow(json: string): Promise<void> { return setSessionCommands(this.#deps.db.manager, this.#sessionId, json); }

  event(action: CommandStart['kind'], args: Record<string, unknown>): void {
    void this.#audit({ authorId: this.#userId, domain: 'session', action, entity: this.#hostName, args: { ...args, session_id: this.#sessionId } });
  }

  failed(err: unknown): void { this.#ctx.log.warn('cannot record the session command', { err, session: this.#sessionId }); }

  #audit(e: EventInput): Promise<void> { return audit(this.#deps, this.#ctx, e); }

  onEvent(e: RelayEvent): void {
    const deps = this.#deps;
    if (e.type === 'upstream-connected') deps.metrics.upstreamDial(e.durationMs);
    switch (e.type) {
      case 'channel-started':
        this.#commands.add(e);
        return;
      case 'forward-closed':
      case 'forward-refused':
      case 'remote-forward':
      case 'upstream-failed':
      case 'idle-timeout':
      case 'policy-refused':
      case 'channel-cut':
        void this.#audit({ authorId: this.#userId, domain: 'session', action: e.type, entity: this.#hostName, args: { ...e, session_id: this.#sessionId } });
        return;
      case 'recording-started':
        // The row names the recording while the session is live, not only once it closed.
        void addRecording(deps.db.manager, this.#sessionId, e.path).catch((err: unknown) => this.#ctx.log.warn('cannot record the recording path', { err }));
        return;
      default:
        this.#ctx.log.debug('relay event', { ...e });
    }
  }

  async onClose(summary: RelaySummary): Promise<void> {
    const deps = this.#deps;
    const sessionId = this.#sessionId;
    deps.metrics.sessionClosed();
    await this.#commands.settled();
    await closeSession(deps.db.manager, sessionId, { at: deps.now(), error: summary.error, recordings: summary.recordings, seals: summary.seals })
      .catch((err: unknown) => this.#ctx.log.warn('cannot close session row', { err, session: sessionId }));
    // Only once the row says closed: until then the reaper must see a live relay behind it.
    deps.live.delete(sessionId);
    // The seals enter the hash chain with the close event, and a checkpoint signs it.
    await this.#audit({ authorId: this.#userId, domain: 'session', action: 'close', entity: this.#hostName, checkpoint: true,
      args: { session_id: sessionId, bytes_up: summary.bytesUp, bytes_down: summary.bytesDown, error: summary.error, seals: summary.seals } });
    this.#ctx.log.info('session closed', { session: sessionId, bytesUp: summary.bytesUp, bytesDown: summary.bytesDown, error: summary.error });
  }
}

/** Access check, session row and relay plan for one host login; throws to refuse. */
async function prepare(deps: BastionDeps, who: UserIdentity, target: string, ctx: ConnectionContext, ticket: LiveTicket, relay: () => RelayHandle | undefined): Promise<RelayPlan> {
  const m = deps.db.manager;
  const deny = (reason: string, host: string): Promise<void> =>
    audit(deps, ctx, { authorId: who.user.id, domain: 'session', action: 'deny', entity: host, args: { reason, remote_addr: ctx.remoteAddr } });
  let host: Host;
  try {
    host = await findTarget(hostFinder(m), target);
  } catch (err) {
    await deny(userMessage(err), target);
    throw err;
  }
  const request = accessRequestOf(who.user, host, await aclsOfUserGroups(m, groupsOf(who.user).map((g) => g.id)), deps.now());
  const decision = await decideAccess(request, deps.config.aclCheckCmd);
  if (decision.action !== 'allow') {
    ctx.log.info('access denied', { user: who.user.name, host: host.name, reason: decision.reason });
    deps.metrics.aclDenied();
    await deny(decision.reason, host.name);
    throw new PermissionDeniedError(`access to host '${host.name}' denied`);
  }
  const mode = recordingModeOf(host);
  const hosts = await loadChain(hostFinder(m), host);
  const routes = await tunnelRoutes(deps, ctx, who, hosts);
  const chain = await Promise.all(hosts.map((h) => hopTarget(deps, ctx, who, h, routes)));
  const session = await openSession(m, { userId: who.user.id, hostId: host.id, node: deps.config.nodeName, remoteAddr: ctx.remoteAddr });
  ticket.grantHost(host, session.id, request, decision);
  const handle = relay();
  if (handle) deps.live.add(session.id, handle);
  ctx.log.info('session opened', { session: session.id, user: who.user.name, host: host.name, reason: decision.reason });
  deps.metrics.sessionOpened();
  void audit(deps, ctx, { authorId: who.user.id, domain: 'session', action: 'connect', entity: host.name, args: { session_id: session.id, remote_addr: ctx.remoteAddr } });
  return new BastionPlan(deps, ctx, {
    userId: who.user.id, hostName: host.name, sessionId: session.id, policy: decision.policy, chain,
    recording: { mode, dir: deps.config.logsLocation, baseName: `session-${session.id}`, user: who.user.name, host: host.name },
  });
}

/** Hands an authenticated host login to the relay engine; returns the relay. */
export function startBastion(deps: BastionDeps, conn: Connection, who: UserIdentity, target: string, ctx: ConnectionContext): RelayHandle {
  ctx.log.info('host login', { user: who.user.name, host: target });
  // Tracked from the start: a revoked user's connection ends even before its first channel.
  // Revocation may fire before the relay exists; `end` then has nothing to close.
  const holder: { relay?: RelayHandle } = {};
  const ticket = deps.revocation.track({
    subject: { userId: who.user.id, fingerprint: who.key.fingerprint, login: { kind: 'host', hostId: null } },
    userName: who.user.name, remoteAddr: ctx.remoteAddr, log: ctx.log, end: (message) => holder.relay?.close(message),
  });
  // Its drop ends the connection for sure: a client that never closed a cut channel keeps its buffers until the socket goes.
  const stalls = deps.stalls?.account(`user:${who.user.id}`, (reason) => { holder.relay?.close(reason); ctx.control.drop(); });
  const relay = attachRelay(conn, {
    log: ctx.log,
    idleTimeoutMs: deps.config.idleTimeoutMs,
    limits: limitsFrom(deps.config),
    stalls,
    prepare: preparer(deps, who, target, ctx, ticket, holder),
    authorize: () => ticket.check(),
  });
  holder.relay = relay;
  deps.relays.add(relay);
  deps.metrics.relayStarted(relay);
  void relay.closed.then(() => {
    ticket.release();
    deps.relays.delete(relay);
    deps.metrics.relayEnded(relay);
  });
  return relay;
}

/** The relay's `prepare`, in its own scope: the closures above live as long as the connection and must not keep `who` (the user row). */
function preparer(deps: BastionDeps, who: UserIdentity, target: string, ctx: ConnectionContext, ticket: LiveTicket, holder: { relay?: RelayHandle }): () => Promise<RelayPlan> {
  return () => prepare(deps, who, target, ctx, ticket, () => holder.relay).catch((err: unknown) => { throw asDatabaseError(err); });
}
