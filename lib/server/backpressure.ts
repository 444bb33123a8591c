import type { Duplex } from 'node:stream';

/** Bounds on what the portal keeps for a peer that does not read. */
export interface OutputLimits {
  /** Once this many bytes wait in the socket to be sent, the portal stops reading from the peer. */
  highWaterBytes: number;
  /** A peer that reads nothing for this long while reading from it is paused is dropped. */
  stuckMs: number;
}

/** The defaults, documented in SECURITY.md. */
export const defaultOutputLimits: OutputLimits = { highWaterBytes: 1024 * 1024, stuckMs: 60_000 };

/** What the guard reports to the socket's owner. */
export interface OutputGuardEvents {
  /** Reading stopped: the peer's unsent output passed the bound. */
  paused(pendingBytes: number): void;
  /** The peer read nothing for `stuckMs` while paused: the owner should drop it. */
  stuck(pendingBytes: number): void;
}

/**
 * Backpressure on a raw client socket, for every kind of connection: every
 * reply the portal sends is caused by something the peer sent (global and
 * channel requests are not flow-controlled by SSH windows), so a peer that
 * sends and never reads would otherwise grow the portal's memory without
 * bound. When the socket's unsent output passes the bound, the socket stops
 * being read (the peer's own TCP window then stops it); reading resumes once
 * the output drained. Checked once per burst of incoming data, after the SSH
 * layer handled it. A slow reader is never dropped; one that reads nothing at
 * all for `stuckMs` is reported stuck.
 *
 * Any transport an SSH layer reads and writes will do: the portal's own
 * connections to targets are guarded the same way (lib/proxy/dial.ts), on
 * their TCP socket or on the channel of the hop they run through. The guard
 * resumes at the stream's 'drain', which a stream emits only after a write
 * filled it past its own high-water mark: `highWaterBytes` must not be below
 * that mark (a net.Socket's is 16 KiB, an ssh2 channel's 2 MiB).
 */
export function guardOutput(socket: Duplex, limits: OutputLimits, events: OutputGuardEvents): void {
  OutputGuard.attach(socket, limits, events);
}

/**
 * The guard of one socket. Its listeners and timer callbacks are shared by
 * every socket (static, finding the guard by socket), not closures per
 * connection: a connection lives for hours (issue 13).
 */
class OutputGuard {
  static readonly #guards = new WeakMap<Duplex, OutputGuard>();
  readonly #socket: Duplex;
  readonly #limits: OutputLimits;
  readonly #events: OutputGuardEvents;
  #paused = false;
  #scheduled = false;
  #stuckTimer: NodeJS.Timeout | undefined;

  private constructor(socket: Duplex, limits: OutputLimits, events: OutputGuardEvents) {
    this.#socket = socket;
    this.#limits = limits;
    this.#events = events;
  }

  static attach(socket: Duplex, limits: OutputLimits, events: OutputGuardEvents): void {
    OutputGuard.#guards.set(socket, new OutputGuard(socket, limits, events));
    socket.on('data', OutputGuard.#onData);
    socket.on('close', OutputGuard.#onClose);
  }

  static #onData(this: Duplex): void {
    const g = OutputGuard.#guards.get(this);
    if (!g || g.#scheduled) return;
    g.#scheduled = true;
    // After the SSH layer's own 'data' listener handled the chunk and wrote its replies.
    // A tick, not an immediate: an immediate per keystroke cost an extra trip through
    // the event loop's check phase (about 3 % of the portal's CPU per key, issue 13).
    // Replies written later (after I/O) are seen at the next chunk: the peer sends
    // nothing more without them being counted.
    process.nextTick(OutputGuard.#check, g);
  }

  static #onClose(this: Duplex): void {
    const g = OutputGuard.#guards.get(this);
    if (g) clearTimeout(g.#stuckTimer);
  }

  static #onDrain(this: Duplex): void {
    const g = OutputGuard.#guards.get(this);
    if (!g) return;
    g.#paused = false;
    clearTimeout(g.#stuckTimer);
    if (!this.destroyed) this.resume();
  }

  static #check(g: OutputGuard): void {
    g.#scheduled = false;
    const socket = g.#socket;
    const pending = socket.writableLength;
    if (g.#paused || socket.destroyed || pending <= g.#limits.highWaterBytes) return;
    g.#paused = true;
    socket.pause();
    g.#events.paused(pending);
    g.#watch(pending);
    // The bound is far above the socket's high-water mark, so the last write asked for 'drain'.
    socket.once('drain', OutputGuard.#onDrain);
  }

  /** Reports the peer stuck when its unsent output did not shrink at all over `stuckMs`. */
  #watch(last: number): void {
    this.#stuckTimer = setTimeout(OutputGuard.#stuckCheck, this.#limits.stuckMs, this, last);
    this.#stuckTimer.unref();
  }

  static #stuckCheck(g: OutputGuard, last: number): void {
    const now = g.#socket.writableLength;
    if (now < last) return g.#watch(now);
    g.#events.stuck(now);
  }
}
