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
import type { DialedChain } from './dial.js';
import { relayDirectStreamLocal, relayDirectTcpip, type ForwardContext } from './forwards.js';
import { onGlobalRequest, watchQueuedReplies } from '../ssh/global-requests.js';
import { relayGlobalRequest } from './global-requests.js';
import { IdleTimer } from './idle.js';
import { ConnectionBudget, defaultLimits, type Slot } from './limits.js';
import { globalAsk, PolicyGate, type ForwardOpen } from './policy-gate.js';
import { ConnectionRecordings } from './recordings.js';
import { SessionBridge, type FailureReport, type SessionContext } from './session.js';
import { holdSession, holding } from './channel-slots.js';
import { OpenSessions, PendingForwards } from './relay-bookkeeping.js';
import { dialUpstream } from './relay-dial.js';
import { RelayPlanHolder } from './relay-plan.js';
import type { RelayEvent, RelayHandle, RelayOptions, ReasonLine } from './types.js';

/** How long a refused or failed connection waits for its channels to close before it is cut. */
const CLOSE_GRACE_MS = 1000;

class Relay implements RelayHandle {
  #bytesUp = 0;
  #bytesDown = 0;
  readonly closed: Promise<void>;
  #conn: Connection;
  #opts: RelayOptions;
  #log: Logger;
  #now: () => number;
  #plans: RelayPlanHolder;
  #budget: ConnectionBudget;
  #granted = false;
  #gate: PolicyGate;
  #recordings: ConnectionRecordings | undefined;
  #upstream: Promise<Client> | undefined;
  #chain: DialedChain | undefined;
  #lost: string | undefined;
  #error: string | undefined;
  #sessions = new OpenSessions();
  #forwards = new PendingForwards();
  #ending = false;
  #finalizing = false;
  #graceTimer: NodeJS.Timeout | undefined;
  #abort = new AbortController();
  #idle: IdleTimer | undefined;
  #resolveClosed!: () => void;
  #forwardCtx: ForwardContext;

  constructor(conn: Connection, opts: RelayOptions) {
    this.#conn = conn;
    this.#opts = opts;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve; });
    this.#plans = new RelayPlanHolder({
      prepare: () => opts.prepare(), log: opts.log, onFailed: this.#fatal,
      onReady: (plan) => { this.#recordings = new ConnectionRecordings(plan.recording, this.#log, this.#emit); },
    });
    this.#gate = new PolicyGate(() => this.#plans.current, (e) => this.#emit(e), opts.log);
    this.#forwardCtx = this.#makeForwardCtx();
    this.#budget = new ConnectionBudget(opts.limits ?? defaultLimits, this.#log);
    if (opts.idleTimeoutMs > 0) {
      this.#idle = new IdleTimer(opts.idleTimeoutMs, this.#now, () => this.#onIdle());
    }
    // ssh2 leaves Nagle on; its typings lack setNoDelay on server connections.
    (conn as Connection & { setNoDelay?: (on: boolean) => unknown }).setNoDelay?.(true);
    conn.on('error', (err: Error) => this.#log.debug('downstream connection error', { err }));
    conn.once('close', () => void this.#finalize());
    onChannelOpen(conn, (open) => this.#onChannelOpen(open));
    onGlobalRequest(conn, (r, accept, reject) => {
      this.#idle?.touch();
      if (this.#ending) { reject?.(); return; }
      const slot = this.#budget.beginRequest();
      if (!slot) { reject?.(); return; }
      const refuse = (): void => { slot.release(); reject?.(); };
      const relay = (): void => void relayGlobalRequest(this.#forwardCtx, r, accept, reject).finally(() => slot.release());
      void this.#afterPlan(() => this.#gate.gateGlobal(globalAsk(r), relay, refuse), refuse);
    }, (name) => this.#log.debug('malformed global request refused', { name }));
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

  #emit = (e: RelayEvent): void => this.#plans.emit(e);

  #onBytes = (dir: 'up' | 'down', n: number): void => {
    if (dir === 'up') this.#bytesUp += n;
    else this.#bytesDown += n;
    this.#idle?.touch();
  };

  #report = (err: unknown): FailureReport => {
    const message = err instanceof AppError ? err.message : userMessage(err);
    const refused = this.#plans.isPrepareError(err) || err instanceof PermissionDeniedError;
    return { message, exitCode: refused ? 1 : 255 };
  };

  #fatal = (err: unknown): void => {
    this.#error ??= this.#report(err).message;
    this.#endSoon();
  };

  #makeForwardCtx(): ForwardContext {
    return {
      log: this.#log,
      conn: this.#conn,
      upstream: () => this.#authorizedUpstream(),
      fatal: this.#fatal,
      onBytes: this.#onBytes,
      emit: this.#emit,
      tunnel: (r) => this.#recordings?.tunnel(r),
      now: () => this.#now(),
      track: (done) => this.#forwards.track(done),
    };
  }

  #sessionCtx(): SessionContext {
    return {
      log: this.#log,
      upstream: () => this.#authorizedUpstream(),
      report: this.#report,
      fatal: this.#fatal,
      // The chain may know before its client closed (a tunnel whose connector went away).
      upstreamLost: () => this.#lost ?? this.#chain?.lostReason(),
      startRecording: (pty, title) => this.#recordings?.startCast(pty, title),
      onBytes: this.#onBytes,
      emit: this.#emit,
      env: this.#budget.envBudget(),
      refusing: () => this.#ending,
      check: (r) => this.#gate.check(r),
      live: (owner) => this.#plans.current?.live?.(owner),
    };
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
        this.#log.warn('unhandled channel open', { open: JSON.stringify(never) });
      }
    }
  }

  #onForward(open: ForwardOpen): void {
    if (!this.#gate.gateChannel(this.#conn, open)) return;
    if (open.type === 'direct-tcpip') void relayDirectTcpip(this.#forwardCtx, open.accept, open.reject, open.info);
    else void relayDirectStreamLocal(this.#forwardCtx, open.accept, open.reject, open.socketPath);
  }

  #onSession(accept: () => Session | undefined, slot: Slot): void {
    const session = accept();
    if (!session) { slot.release(); return; }
    holdSession(this.#conn, session, slot);
    this.#sessions.add(new SessionBridge(session, this.#sessionCtx()), (bridge) => {
      if (bridge.recorder) this.#recordings?.finishCast(bridge.recorder);
    });
  }

  /** The upstream for one new channel or request: re-checked after the first (which prepare() checked). */
  async #authorizedUpstream(): Promise<Client> {
    if (this.#granted && this.#opts.authorize) await this.#opts.authorize();
    this.#granted = true;
    return this.#getUpstream();
  }

  #getUpstream(): Promise<Client> {
    if (this.#finalizing && !this.#upstream) return Promise.reject(new UpstreamError('connection closed'));
    this.#upstream ??= this.#dial();
    return this.#upstream;
  }

  async #dial(): Promise<Client> {
    const plan = await this.#plans.get(this.#finalizing);
    if (this.#ending) throw new UpstreamError('connection closed');
    const target = plan.chain[plan.chain.length - 1]?.name ?? 'target';
    const chain = await dialUpstream(plan, {
      conn: this.#conn, log: this.#log, gate: this.#gate, forwardCtx: this.#forwardCtx, signal: this.#abort.signal,
      emit: this.#emit, report: this.#report, now: () => this.#now(), onDialed: (c) => this.#watchChain(c, target),
    });
    return chain.client;
  }

  /** Keeps the dialed chain; its client closing ends the relay, with the reason it knows. */
  #watchChain(chain: DialedChain, target: string): void {
    this.#chain = chain;
    chain.client.on('close', () => {
      const known = this.#ending ? undefined : chain.lostReason();
      if (!this.#ending) this.#lost = known ?? `connection to '${target}' lost`;
      // A reason the chain knows (a tunnel's connector went away) is told to open sessions whatever closed first.
      this.#endSoon(known);
    });
  }

  #onIdle(): void {
    const secs = Math.round(this.#opts.idleTimeoutMs / 1000);
    this.#emit({ type: 'idle-timeout', idleMs: this.#opts.idleTimeoutMs });
    this.close(`idle timeout: no traffic for ${secs} s, closing the connection`);
  }

  /** Ends every session (with `message`), then the connection once they closed or after a grace period. */
  #endSoon(message?: string, shown: ReasonLine = 'error'): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#idle?.stop();
    const sessionsClosed = this.#sessions.endAll(message, shown);
    this.#graceTimer = setTimeout(() => this.#conn.end(), CLOSE_GRACE_MS);
    void sessionsClosed.then(() => this.#conn.end());
  }

  async #finalize(): Promise<void> {
    this.#finalizing = true;
    this.#ending = true;
    this.#idle?.stop();
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.#abort.abort();
    this.#chain?.close();
    await this.#plans.started?.catch(() => undefined);
    await this.#upstream?.catch(() => undefined);
    this.#chain?.close();
    // Forwards report their totals (bounded) before the close is recorded.
    await this.#forwards.settle(CLOSE_GRACE_MS);
    const seals = (await this.#recordings?.close()) ?? [];
    const plan = this.#plans.current;
    if (plan) {
      try {
        await plan.onClose({ error: this.#error ?? this.#lost, recordings: seals.map((s) => s.path), seals, bytesUp: this.bytesUp, bytesDown: this.bytesDown });
      } catch (err) {
        this.#log.warn('relay close handler failed', { err });
      }
    }
    this.#resolveClosed();
  }
}

/** Attaches the relay to an authenticated downstream connection (see {@link RelayOptions}). */
export function attachRelay(conn: Connection, opts: RelayOptions): RelayHandle {
  return new Relay(conn, opts);
}

