/**
 * The relay engine's entry point: attaches to an authenticated downstream
 * ssh2 connection whose login named a host, and bridges every channel and
 * request to that host through one upstream connection, dialed lazily on the
 * first channel or forward request.
 */
import type { Client, Connection, Session } from 'ssh2';
import { onChannelOpen, type ChannelOpen } from '../ssh/channel-opens.js';
import { AppError, PermissionDeniedError, UpstreamError, userMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { relayDirectStreamLocal, relayDirectTcpip, type ForwardContext } from './forwards.js';
import { onGlobalRequest, watchQueuedReplies, type Accept, type GlobalRequest, type Reject } from '../ssh/global-requests.js';
import { relayGlobalRequest } from './global-requests.js';
import { IdleTimer } from './idle.js';
import { ConnectionBudget, defaultLimits, type Slot } from './limits.js';
import { globalAsk, PolicyGate, type ForwardOpen } from './policy-gate.js';
import { ConnectionRecordings } from './recordings.js';
import { SessionBridge, type FailureReport, type SessionContext } from './session.js';
import type { StallAccount } from './stall-budget.js';
import { holdSession, holding } from './channel-slots.js';
import { OpenSessions, PendingForwards } from './relay-bookkeeping.js';
import { RelayUpstream, type UpstreamOwner } from './relay-upstream.js';
import { RelayPlanHolder, type RelayPlanHooks } from './relay-plan.js';
import type { LivePtyOwner, LivePtyTap, RelayEvent, RelayHandle, RelayOptions, RelayPlan, ReasonLine } from './types.js';
import type { PolicyRequest, PolicyVerdict } from '../acl/policy.js';
import type { CastRecorder } from '../recording/cast-recorder.js';
import type { TunnelRecord } from '../recording/tunnel-log.js';

/** Stands for a relay's prepare once it was called (RelayPlanHolder calls it once). */
function preparedOnce(): Promise<RelayPlan> {
  return Promise.reject(new UpstreamError('the plan was already prepared'));
}

/** How long a refused or failed connection waits for its channels to close before it is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * One relayed connection. It is itself the context its forwards, sessions,
 * plan and policy gate call back into (methods on the prototype): a relay
 * lives for hours, and an object of closures per relay and per session cost
 * memory per session (issue 13).
 */
class Relay implements RelayHandle, ForwardContext, SessionContext, RelayPlanHooks, UpstreamOwner {
  #bytesUp = 0;
  #bytesDown = 0;
  readonly closed: Promise<void>;
  readonly conn: Connection;
  readonly log: Logger;
  #opts: RelayOptions;
  #plans: RelayPlanHolder;
  #budget: ConnectionBudget;
  #granted = false;
  #gate: PolicyGate;
  #recordings: ConnectionRecordings | undefined;
  readonly #upstream: RelayUpstream;
  #error: string | undefined;
  #sessions = new OpenSessions();
  #forwards = new PendingForwards();
  #ending = false;
  #finalizing = false;
  #graceTimer: NodeJS.Timeout | undefined;
  #idle: IdleTimer | undefined;
  #resolveClosed!: () => void;

  constructor(conn: Connection, opts: RelayOptions) {
    this.conn = conn;
    // A copy: its prepare is dropped once called.
    this.#opts = { ...opts };
    this.log = opts.log;
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve; });
    this.#plans = new RelayPlanHolder(this);
    this.#gate = new PolicyGate(this.#plans, opts.log);
    this.#upstream = new RelayUpstream(this, this.#gate);
    this.#budget = new ConnectionBudget(opts.limits ?? defaultLimits, this.log);
    if (opts.idleTimeoutMs > 0) {
      this.#idle = new IdleTimer(opts.idleTimeoutMs, opts.now ?? Date.now, () => this.#onIdle());
    }
    // ssh2 leaves Nagle on; its typings lack setNoDelay on server connections.
    (conn as Connection & { setNoDelay?: (on: boolean) => unknown }).setNoDelay?.(true);
    conn.on('error', (err: Error) => this.log.debug('downstream connection error', { err }));
    // 'close' comes once: a plain listener, guarded (a `once` wrapper is kept for the connection's life, issue 13).
    conn.on('close', () => { if (!this.#finalizing) void this.#finalize(); });
    onChannelOpen(conn, (open) => this.#onChannelOpen(open));
    onGlobalRequest(conn, (r, accept, reject) => this.#onGlobalRequest(r, accept, reject), (name) => this.log.debug('malformed global request refused', { name }));
    const overflow = (): void => { this.#budget.refused('queued replies'); this.close('too many requests waiting for an answer'); };
    watchQueuedReplies(conn, () => this.#budget.pending > 0, this.#budget.limits.maxQueuedReplies, overflow);
  }

  get bytesUp(): number { return this.#bytesUp; }
  get bytesDown(): number { return this.#bytesDown; }

  close(reason?: string, shown: ReasonLine = 'error'): void {
    if (this.#ending) return;
    this.#error ??= reason;
    this.#endSoon(reason, shown);
  }

  notify(line: string): void {
    this.#sessions.notify(line);
  }

  // RelayPlanHooks

  /** Called once (RelayPlanHolder): the caller's prepare is dropped after, with what it holds (the user row). */
  prepare(): Promise<RelayPlan> {
    const opts = this.#opts;
    const planned = opts.prepare();
    opts.prepare = preparedOnce;
    return planned;
  }

  onReady(plan: RelayPlan): void { this.#recordings = new ConnectionRecordings(plan.recording, this.log, this); }

  onFailed(err: unknown): void { this.fatal(err); }

  // ForwardContext and SessionContext

  emit(e: RelayEvent): void { this.#plans.emit(e); }

  get stalls(): StallAccount | undefined { return this.#opts.stalls; }

  openTargetChannel(): Slot | null { return this.#ending ? null : this.#budget.openChannel('forward'); }

  onBytes(dir: 'up' | 'down', n: number): void {
    if (dir === 'up') this.#bytesUp += n;
    else this.#bytesDown += n;
    this.#idle?.touch();
  }

  report(err: unknown): FailureReport {
    const message = err instanceof AppError ? err.message : userMessage(err);
    const refused = this.#plans.isPrepareError(err) || err instanceof PermissionDeniedError;
    return { message, exitCode: refused ? 1 : 255 };
  }

  fatal(err: unknown): void {
    this.#error ??= this.report(err).message;
    this.#endSoon();
  }

  /** The upstream for one new channel or request: re-checked after the first (which prepare() checked). */
  async upstream(): Promise<Client> {
    if (this.#granted && this.#opts.authorize) await this.#opts.authorize();
    this.#granted = true;
    return this.#upstream.get(this.#finalizing);
  }

  tunnel(r: Omit<TunnelRecord, 'user' | 'host'>): void { this.#recordings?.tunnel(r); }

  now(): number { return (this.#opts.now ?? Date.now)(); }

  track(done: Promise<void>): void { this.#forwards.track(done); }

  // The chain may know before its client closed (a tunnel whose connector went away).
  upstreamLost(): string | undefined { return this.#upstream.lostReason(); }

  startRecording(pty: { cols: number; rows: number; term: string }, title: string): CastRecorder | undefined {
    return this.#recordings?.startCast(pty, title);
  }

  refusing(): boolean { return this.#ending; }

  check(r: PolicyRequest): PolicyVerdict { return this.#gate.check(r); }

  live(owner: LivePtyOwner): LivePtyTap | undefined { return this.#plans.current?.live?.(owner); }

  #onGlobalRequest(r: GlobalRequest, accept: Accept, reject: Reject): void {
    this.#idle?.touch();
    if (this.#ending) { reject?.(); return; }
    const slot = this.#budget.beginRequest();
    if (!slot) { reject?.(); return; }
    const refuse = (): void => { slot.release(); reject?.(); };
    const relay = (): void => void relayGlobalRequest(this, r, accept, reject).finally(() => slot.release());
    void this.#afterPlan(() => this.#gate.gateGlobal(globalAsk(r), relay, refuse), refuse);
  }

  /** Runs `fn` once the plan and its policy are settled (a channel's requests follow its confirmation), `skip` if ending. */
  #afterPlan(fn: () => void, skip: () => void): Promise<void> {
    const settled = this.#plans.get(this.#finalizing).then(() => undefined, () => undefined);
    return settled.then(() => (this.#ending ? skip() : fn()));
  }

  #onChannelOpen(open: ChannelOpen): void {
    this.#idle?.touch();
    if (this.#ending) { open.reject(); return; }
    // Counted from the open on: a channel waiting for the access check holds its slot.
    const slot = this.#budget.openChannel(open.type === 'session' ? 'session' : 'forward');
    if (!slot) { open.reject(); return; }
    const reject = (): void => { slot.release(); open.reject(); };
    switch (open.type) {
      case 'session':
        void this.#afterPlan(() => this.#onSession(open.accept, slot), reject);
        return;
      case 'direct-tcpip':
      case 'direct-streamlocal@openssh.com':
        void this.#afterPlan(() => this.#onForward({ ...open, accept: holding(open.accept, slot), reject }), reject);
        return;
      default: {
        const never: never = open;
        this.log.warn('unhandled channel open', { open: JSON.stringify(never) });
      }
    }
  }

  #onForward(open: ForwardOpen): void {
    if (!this.#gate.gateChannel(this.conn, open)) return;
    if (open.type === 'direct-tcpip') void relayDirectTcpip(this, open.accept, open.reject, open.info);
    else void relayDirectStreamLocal(this, open.accept, open.reject, open.socketPath);
  }

  #onSession(accept: () => Session | undefined, slot: Slot): void {
    const session = accept();
    if (!session) { slot.release(); return; }
    holdSession(this.conn, session, slot);
    this.#sessions.add(new SessionBridge(session, this, this.#budget.envBudget()), (bridge) => {
      if (bridge.recorder) this.#recordings?.finishCast(bridge.recorder);
    });
  }

  // UpstreamOwner

  plan(): Promise<RelayPlan> { return this.#plans.get(this.#finalizing); }

  get ending(): boolean { return this.#ending; }

  upstreamClosed(known: string | undefined): void {
    // A reason the chain knows (a tunnel's connector went away) is told to open sessions whatever closed first.
    this.#endSoon(known);
  }

  #onIdle(): void {
    const secs = Math.round(this.#opts.idleTimeoutMs / 1000);
    this.emit({ type: 'idle-timeout', idleMs: this.#opts.idleTimeoutMs });
    this.close(`idle timeout: no traffic for ${secs} s, closing the connection`);
  }

  /** Ends every session (with `message`), then the connection once they closed or after a grace period. */
  #endSoon(message?: string, shown: ReasonLine = 'error'): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#idle?.stop();
    const sessionsClosed = this.#sessions.endAll(message, shown);
    this.#graceTimer = setTimeout(() => this.conn.end(), CLOSE_GRACE_MS);
    void sessionsClosed.then(() => this.conn.end());
  }

  async #finalize(): Promise<void> {
    this.#finalizing = true;
    this.#ending = true;
    this.#idle?.stop();
    this.stalls?.close();
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    const upstreamClosed = this.#upstream.close();
    await this.#plans.started?.catch(() => undefined);
    await upstreamClosed;
    // Forwards report their totals (bounded) before the close is recorded.
    await this.#forwards.settle(CLOSE_GRACE_MS);
    const seals = (await this.#recordings?.close()) ?? [];
    const plan = this.#plans.current;
    if (plan) {
      try {
        await plan.onClose({ error: this.#error ?? this.#upstream.lost, recordings: seals.map((s) => s.path), seals, bytesUp: this.bytesUp, bytesDown: this.bytesDown });
      } catch (err) {
        this.log.warn('relay close handler failed', { err });
      }
    }
    this.#resolveClosed();
  }
}

/** Attaches the relay to an authenticated downstream connection (see {@link RelayOptions}). */
export function attachRelay(conn: Connection, opts: RelayOptions): RelayHandle {
  return new Relay(conn, opts);
}

