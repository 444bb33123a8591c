/**
 * Bridges one downstream session channel to one upstream session channel.
 *
 * Order matters (see notes/ssh2-and-platform.md): exec/shell/subsystem are
 * accepted synchronously and the upstream is dialed after; upstream output is
 * piped without ending the downstream; once the upstream channel closed and
 * its output was flushed downstream, the exit status (or signal) is sent, then
 * `end()` sends EOF and CLOSE.
 */
import type { Client, ClientChannel, ServerChannel, Session, WindowChangeInfo } from 'ssh2';
import type { PolicyRequest, PolicyVerdict } from '../acl/policy.js';
import type { Logger } from '../log.js';
import type { CastRecorder } from '../recording/cast-recorder.js';
import type { EnvBudget } from './limits.js';
import { endChannel, type ExitInfo } from '../ssh/exit.js';
import { closeAndDrop } from '../ssh/link.js';
import { pump, whenEnded } from '../ssh/pump.js';
import { onSessionRequest, type SessionRequest } from '../ssh/session-requests.js';
import { openUpstreamSession, type SessionSetup, type SessionStart, type OpenedSession, type UpstreamSession } from './session-open.js';
import { PairStalls } from './pair-stalls.js';
import type { StallAccount } from './stall-budget.js';
import type { LivePtyOwner, LivePtyTap, RelayEvent, ReasonLine } from './types.js';
import { writeIfOpen } from '../ssh/write-if-open.js';

/** What a failure looks like to the user. */
export interface FailureReport { message: string; exitCode: number }

/** Services a session bridge needs from its connection. */
export interface SessionContext {
  log: Logger;
  /** The shared upstream client (dialed on first use). */
  upstream(): Promise<Client>;
  /** Turns an error into the user's message and exit status. */
  report(err: unknown): FailureReport;
  /** The upstream connection is unusable: the relay closes the connection. */
  fatal(err: unknown): void;
  /** Message to show when the upstream connection was lost, if it was. */
  upstreamLost(): string | undefined;
  /** Starts a recording for a PTY session (undefined when disabled). */
  startRecording(pty: { cols: number; rows: number; term: string }, title: string): CastRecorder | undefined;
  onBytes(dir: 'up' | 'down', n: number): void;
  emit(e: RelayEvent): void;
  /** True once the connection is refused or ending: nothing more is kept for the host. */
  refusing(): boolean;
  /** The session policy's verdict (a refusal is already reported). */
  check(r: PolicyRequest): PolicyVerdict;
  /** Makes a PTY session watchable (lib/live); undefined when not. */
  live?(owner: LivePtyOwner): LivePtyTap | undefined;
  /** Where this connection's stalled channels are counted (stall-budget.ts), if anywhere. */
  readonly stalls: StallAccount | undefined;
}

/** Joiner input is dropped while this much is already waiting for the target. */
const maxInjectedBacklog = 1024 * 1024;


/** One relayed session channel. */
export class SessionBridge {
  #ctx: SessionContext;
  /** This channel's budget of buffered env requests; dropped once the session started. */
  #env: EnvBudget | undefined;
  #setup: SessionSetup = { env: {}, agent: false };
  #size: WindowChangeInfo | undefined;
  #down: ServerChannel | undefined;
  #up: ClientChannel | undefined;
  #recorder: CastRecorder | undefined;
  #tap: LivePtyTap | undefined;
  #closed = false;
  #started = false;
  /** Set by the first #finish: a channel gets one final line and one exit status. */
  #finishing = false;
  #downClosed: Promise<void>;
  #eol = '\n';
  /** The upstream channel's close and its stderr's end, while not both happened. */
  #upstreamWaits = 0;
  /** The pair as the stall budget sees it, once the upstream channel is open. */
  #stalls: PairStalls | undefined;

  /** `env`: this channel's budget of buffered env requests. */
  constructor(session: Session, ctx: SessionContext, env: EnvBudget) {
    this.#ctx = ctx;
    this.#env = env;
    this.#downClosed = new Promise((resolve) => { session.on('close', resolve); });
    void this.#downClosed.then(() => this.#onDownClosed());
    onSessionRequest(session, (r) => this.#handle(r));
  }

  /** Resolves when the downstream channel closed. */
  get closed(): Promise<void> { return this.#downClosed; }

  /** Ends the session with a message (idle timeout, shutdown). */
  terminate(message: string, shown: ReasonLine = 'error'): void {
    const down = this.#down;
    this.#up?.close();
    if (!down || this.#closed) return;
    void this.#finish(down, { code: 255 }, message, shown);
  }

  /** Writes one line to the session's stderr, if it started and is still open. */
  notify(line: string): void {
    if (!this.#down || this.#closed) return;
    writeIfOpen(this.#down.stderr, line + this.#eol);
  }

  #handle(r: SessionRequest): void {
    switch (r.type) {
      case 'pty-req':
        this.#setup.pty = r.info;
        this.#size = { cols: r.info.cols, rows: r.info.rows, width: r.info.width, height: r.info.height };
        this.#eol = '\r\n';
        r.accept?.();
        return;
      case 'env':
        // Kept until the start request; bounded, and nothing once access is refused.
        if (this.#ctx.refusing() || this.#started || !this.#env?.take(r.key, r.value)) { r.reject?.(); return; }
        this.#setup.env[r.key] = r.value;
        r.accept?.();
        return;
      case 'x11-req':
        // Refused: the client hears it (OpenSSH warns) and the target never gets the request, so no DISPLAY.
        if (!this.#ctx.check({ kind: 'x11' }).allowed) { r.reject?.(); return; }
        this.#setup.x11 = r.info;
        r.accept?.();
        return;
      case 'auth-agent-req':
        if (!this.#ctx.check({ kind: 'agent-forward' }).allowed) { r.reject?.(); return; }
        this.#setup.agent = true;
        r.accept?.();
        return;
      case 'window-change':
        this.#resize(r.info);
        r.accept?.();
        return;
      case 'signal':
        this.#signal(r.name);
        r.accept?.();
        return;
      case 'shell':
        this.#start({ kind: 'shell' }, r.accept);
        return;
      case 'exec':
        this.#start({ kind: 'exec', command: r.command }, r.accept);
        return;
      case 'subsystem':
        this.#start({ kind: 'subsystem', name: r.name }, r.accept);
        return;
      default: {
        const never: never = r;
        this.#ctx.log.warn('unhandled session request', { request: JSON.stringify(never) });
      }
    }
  }

  #resize(info: WindowChangeInfo): void {
    this.#size = info;
    this.#up?.setWindow(info.rows, info.cols, info.height, info.width);
    this.#recorder?.resize(info.cols, info.rows);
    this.#tap?.resize(info.cols, info.rows);
  }

  #signal(name: string): void {
    try {
      this.#up?.signal(name);
    } catch (err) {
      this.#ctx.log.debug('signal not relayed', { signal: name, err });
    }
  }

  #start(start: SessionStart, accept: () => ServerChannel | undefined): void {
    // One start per channel (ssh2 hands later ones to us too, and leaves them unanswered).
    if (this.#started) return;
    const down = accept();
    if (!down) return;
    this.#started = true;
    this.#env = undefined;
    this.#down = down;
    down.on('error', (err: Error) => this.#ctx.log.debug('downstream channel error', { err }));
    // Accepted, then refused in words: OpenSSH users see `error: acl N forbids …` and exit status 1.
    const verdict = this.#ctx.check(start.kind === 'shell' ? { kind: 'shell' } : start.kind === 'exec' ? { kind: 'exec', command: start.command } : { kind: 'subsystem', name: start.name });
    const pty = this.#setup.pty !== undefined && start.kind !== 'subsystem';
    // Audited either way: what a user tried matters as much as what ran.
    this.#ctx.emit({
      type: 'channel-started', kind: start.kind, pty, refused: verdict.allowed ? undefined : verdict.reason,
      command: start.kind === 'exec' ? start.command : undefined, subsystem: start.kind === 'subsystem' ? start.name : undefined,
    });
    if (!verdict.allowed) { void this.#finish(down, { code: 1 }, verdict.reason); return; }
    void this.#connect(down, start, pty);
  }

  async #connect(down: ServerChannel, start: SessionStart, pty: boolean): Promise<void> {
    let client: Client;
    try {
      client = await this.#ctx.upstream();
    } catch (err) {
      const r = this.#ctx.report(err);
      await this.#finish(down, { code: r.exitCode }, r.message);
      this.#ctx.fatal(err);
      return;
    }
    if (this.#closed) return;
    let opened: OpenedSession;
    try {
      opened = await openUpstreamSession(client, start, this.#setup);
      // The client may have closed during the upstream round trips: never a write after its stderr ended.
      if (opened.warning) writeIfOpen(down.stderr, `warning: ${opened.warning}${this.#eol}`);
    } catch (err) {
      const lost = this.#ctx.upstreamLost();
      const detail = err instanceof Error ? err.message : String(err);
      await this.#finish(down, { code: 255 }, lost ?? `the target refused the ${start.kind} request: ${detail}`);
      return;
    }
    const up = opened.channel;
    this.#up = up;
    // close() may have run while the upstream session was opening.
    if (this.#closed as boolean) { up.close(); return; }
    const p = this.#setup.pty;
    if (pty && opened.pty && p) {
      const title = start.kind === 'exec' ? start.command : start.kind;
      this.#recorder = this.#ctx.startRecording({ cols: p.cols, rows: p.rows, term: p.term }, title);
      this.#tap = this.#ctx.live?.(this.#liveOwner(up, p.cols, p.rows));
    }
    const size = this.#size;
    if (p && size && (size.cols !== p.cols || size.rows !== p.rows)) this.#resize(size);
    this.#bridge(down, opened);
  }

  #bridge(down: ServerChannel, opened: UpstreamSession): void {
    const ctx = this.#ctx;
    const rec = this.#recorder;
    const up = opened.channel;
    up.on('error', (err: Error) => ctx.log.debug('upstream channel error', { err }));
    // The recorder holds the pumps while its file lags: a recording stays complete at full speed.
    const stalls = ctx.stalls ? new PairStalls(ctx, ctx.stalls, 'session', down, up) : undefined;
    this.#stalls = stalls;
    pump(down, up, (c) => { ctx.onBytes('up', c.length); rec?.input(c); }, rec, stalls);
    const tap = this.#tap;
    pump(up, down, (c) => { ctx.onBytes('down', c.length); rec?.output(c); tap?.output(c); }, rec, stalls);
    pump(up.stderr, down.stderr, (c) => { ctx.onBytes('down', c.length); rec?.output(c); tap?.output(c); }, rec, stalls);
    // Not once the target's channel ended or went: end() would then only build an error nobody reads (a stack trace per login).
    whenEnded(down, () => { if (!this.#closed && !up.writableEnded && !up.destroyed) up.end(); });
    // The upstream is done once it closed and its stderr ended (its 'close' implies its own end).
    this.#upstreamWaits = 2;
    up.on('close', () => {
      stalls?.upClosed();
      queueMicrotask(() => this.#upstreamStep(down, opened));
    });
    whenEnded(up.stderr, () => this.#upstreamStep(down, opened));
  }

  /** One of the upstream's channel and stderr is done: once both are, the exit status (or the loss) is sent. */
  #upstreamStep(down: ServerChannel, opened: UpstreamSession): void {
    if (--this.#upstreamWaits > 0 || this.#closed) return;
    const exit = opened.exit();
    const lost = exit ? undefined : this.#ctx.upstreamLost();
    void this.#finish(down, exit ?? (lost ? { code: 255 } : undefined), lost);
  }

  /** Writes an optional error line, then sends the exit status and ends (lib/ssh's endChannel). */
  async #finish(down: ServerChannel, exit: ExitInfo | undefined, message?: string, shown: ReasonLine = 'error'): Promise<void> {
    if (this.#closed || this.#finishing) return;
    this.#finishing = true;
    const line = message === undefined || shown === 'as-is' ? message : `error: ${message}`;
    await endChannel(down, { exit, line, eol: this.#eol, closed: this.#downClosed }, this.#ctx.log);
  }

  #onDownClosed(): void {
    this.#closed = true;
    this.#stalls?.downClosed();
    this.#tap?.close();
    // What the target sent that the client will never read goes nowhere (a paused channel full of it would never close).
    if (this.#up) closeAndDrop(this.#up);
  }

  /** The owner's side of a live PTY session: joiners type into `up` as the owner would. */
  #liveOwner(up: ClientChannel, cols: number, rows: number): LivePtyOwner {
    return {
      cols, rows,
      input: (data) => {
        if (this.#closed || up.writableLength > maxInjectedBacklog) return false;
        this.#ctx.onBytes('up', data.length);
        this.#recorder?.input(data);
        return up.write(data);
      },
      notify: (line) => this.notify(line),
      marker: (label) => this.#recorder?.marker(label),
    };
  }

  /** The recorder of this session, if any (closed by the relay). */
  get recorder(): CastRecorder | undefined { return this.#recorder; }
}
