/**
 * The live PTY session channels of this node, by session row id, and their
 * viewers. The relay registers each PTY channel (and feeds its output through
 * the returned tap); viewers attach by session id, locally or from another
 * node over the node link.
 */
import type { AttachMode } from '../cluster/index.js';
import type { LivePtyOwner, LivePtyTap } from '../proxy/types.js';
import { LiveScreen, defaultScreenLimits, type ScreenLimits } from './screen.js';
import { ViewerQueue, clearScreen, type ViewerSink } from './viewer.js';
import { noPtyMessage, sizeWarning, tooManyViewersMessage, viewerNotice } from './words.js';

/**
 * Viewers (watchers and joiners together) one session takes at most, over
 * all its PTY channels. Each holds a queue of up to 256 KiB (viewer.ts) and
 * costs a screen snapshot when it attaches; a class watching one admin fits,
 * an admin key attaching in a loop does not grow the owner's node without end.
 */
export const maxViewersPerSession = 32;

/** How a viewer attaches. */
export interface AttachOptions {
  mode: AttachMode;
  /** The viewer's user name (shown to the owner). */
  viewer: string;
  /** The viewer's terminal size. */
  cols: number;
  rows: number;
}

/** A viewer's hold on a session. */
export interface Attachment {
  /** The joiner's keystrokes (ignored for watchers). */
  input(data: Buffer): void;
  /** Leaves; the owner is told. Idempotent. */
  leave(): void;
  /** Resolves when the session channel closed (the viewer should go). */
  readonly ended: Promise<void>;
}

interface Viewer { opts: AttachOptions; queue: ViewerQueue }

/** One live PTY session channel. */
class LivePty implements LivePtyTap {
  readonly screen: LiveScreen;
  readonly viewers = new Set<Viewer>();
  readonly ended: Promise<void>;
  #end!: () => void;
  closed = false;

  constructor(readonly owner: LivePtyOwner, limits: ScreenLimits, private readonly onClose: () => void) {
    this.screen = new LiveScreen({ cols: owner.cols, rows: owner.rows }, limits);
    this.ended = new Promise((resolve) => { this.#end = resolve; });
  }

  output(chunk: Buffer): void {
    this.screen.output(chunk);
    for (const v of this.viewers) v.queue.push(chunk);
  }

  resize(cols: number, rows: number): void {
    this.screen.resize({ cols, rows });
    for (const v of this.viewers) v.queue.refresh();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const v of this.viewers) v.queue.close();
    this.viewers.clear();
    this.screen.dispose();
    this.onClose();
    this.#end();
  }
}

/** Every live PTY session channel of this node. */
export class LiveHub {
  readonly #byId = new Map<number, LivePty[]>();
  readonly #limits: ScreenLimits;
  readonly #maxViewers: number;

  constructor(limits: ScreenLimits = defaultScreenLimits, maxViewers = maxViewersPerSession) {
    this.#limits = limits;
    this.#maxViewers = maxViewers;
  }

  /** Registers a PTY session channel of session `sessionId`; the relay feeds the tap. */
  register(sessionId: number, owner: LivePtyOwner): LivePtyTap {
    const pty = new LivePty(owner, this.#limits, () => {
      const list = (this.#byId.get(sessionId) ?? []).filter((p) => p !== pty);
      if (list.length > 0) this.#byId.set(sessionId, list);
      else this.#byId.delete(sessionId);
    });
    this.#byId.set(sessionId, [...(this.#byId.get(sessionId) ?? []), pty]);
    return pty;
  }

  /** Viewers of session `sessionId` on this node. */
  watchers(sessionId: number): number {
    return (this.#byId.get(sessionId) ?? []).reduce((n, p) => n + p.viewers.size, 0);
  }

  /** Why no viewer can attach to session `sessionId` on this node now (`node` names it), or null when one can. */
  refusal(sessionId: number, node: string): string | null {
    const pty = this.#byId.get(sessionId)?.at(-1);
    if (!pty) return noPtyMessage(sessionId, node);
    // Counted over the session's PTY channels (a multiplexed connection may have several).
    return this.watchers(sessionId) >= this.#maxViewers ? tooManyViewersMessage(sessionId, this.#maxViewers) : null;
  }

  /**
   * Attaches a viewer to the newest PTY channel of session `sessionId`: it
   * gets an optional warning line, the current screen, then live output.
   * Returns null when {@link refusal} has a reason (no live PTY channel on
   * this node, or as many viewers as it takes).
   */
  attach(sessionId: number, opts: AttachOptions, sink: ViewerSink): Attachment | null {
    const pty = this.#byId.get(sessionId)?.at(-1);
    if (!pty || this.watchers(sessionId) >= this.#maxViewers) return null;
    const { cols, rows } = pty.screen.size;
    const warning = opts.cols < cols || opts.rows < rows ? `${sizeWarning(opts, { cols, rows })}\r\n` : '';
    // A smaller viewer keeps its warning on screen: its view scrolls instead of being cleared.
    const viewer: Viewer = { opts, queue: new ViewerQueue(sink, () => pty.screen.snapshot(), warning || clearScreen) };
    pty.viewers.add(viewer);
    this.#tell(pty, opts, 'start');
    let left = false;
    return {
      input: (data) => { if (opts.mode === 'join' && !pty.closed && !left) pty.owner.input(data); },
      leave: () => {
        if (left) return;
        left = true;
        viewer.queue.close();
        if (pty.viewers.delete(viewer)) this.#tell(pty, opts, 'stop');
      },
      ended: pty.ended,
    };
  }

  #tell(pty: LivePty, opts: AttachOptions, what: 'start' | 'stop'): void {
    const line = viewerNotice(opts.viewer, opts.mode, what);
    pty.owner.notify(line);
    pty.owner.marker(line);
  }
}
