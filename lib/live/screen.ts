/**
 * The current screen of one live PTY session: a headless terminal emulator
 * (`@xterm/headless`, no scrollback) fed with the owner's output, serialized
 * for a viewer that attaches mid-session.
 *
 * The relay's hot path only appends chunks to a pending list. The emulator is
 * fed in batches from a timer, one batch in flight at a time: it parses about
 * 15–20 MB/s here, ten times slower than the relay, so the pending list is
 * bounded: when it grows past {@link ScreenLimits.maxPendingBytes} the oldest
 * chunks are dropped and the emulator is reset before the rest is fed. A
 * bulk stream (`cat big.log`) then shows its last screenful, as it would on a
 * real terminal; an interactive session never reaches the bound.
 */
import SerializePkg from '@xterm/addon-serialize';
import HeadlessPkg from '@xterm/headless';

const { Terminal } = HeadlessPkg;
const { SerializeAddon } = SerializePkg;

/** How much the screen buffers and how often it feeds the emulator. */
export interface ScreenLimits {
  /** Output kept for the emulator between feeds; older output is dropped (with a reset) past it. */
  maxPendingBytes: number;
  /** Delay between feeds, in ms: output is batched for this long. */
  feedDelayMs: number;
}

/** Production limits: at most 64 KiB parsed per 50 ms (≈ 1.3 MB/s of emulator work at worst). */
export const defaultScreenLimits: ScreenLimits = Object.freeze({ maxPendingBytes: 64 * 1024, feedDelayMs: 50 });

/** A terminal size. */
export interface Size { cols: number; rows: number }

/**
 * Largest screen emulated. The size comes from the owner's client (`pty-req`,
 * `window-change`: any 32-bit number), and the emulator keeps ~12 bytes per
 * cell: a 16384 × 16384 request cost ~3.2 GB and seconds of a blocked event
 * loop, per session. 512 × 256 (~1.5 MB) is beyond any real terminal; a
 * larger one is emulated at this size (viewers still get the live output).
 */
export const maxScreen: Readonly<Size> = Object.freeze({ cols: 512, rows: 256 });

/** `size` within 1 × 1 and {@link maxScreen}. Pure. */
export function clampSize(size: Size): Size {
  const within = (n: number, max: number): number => (Number.isFinite(n) ? Math.min(Math.max(1, Math.floor(n)), max) : 1);
  return { cols: within(size.cols, maxScreen.cols), rows: within(size.rows, maxScreen.rows) };
}

/** The emulated screen of a live PTY session. */
export class LiveScreen {
  readonly #term: InstanceType<typeof Terminal>;
  readonly #serializer: InstanceType<typeof SerializeAddon>;
  readonly #limits: ScreenLimits;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #reset = false;
  #timer: NodeJS.Timeout | undefined;
  #inFlight = false;
  #disposed = false;
  /** The owner's size, within {@link maxScreen}: the emulator takes it at the next feed (a flood of window changes costs one resize per feed). */
  #size: Size;
  #resized = false;
  /** Output dropped before reaching the emulator (bulk streams), for the record. */
  droppedBytes = 0;

  constructor(size: Size, limits: ScreenLimits = defaultScreenLimits) {
    this.#limits = limits;
    this.#size = clampSize(size);
    const { cols, rows } = this.#size;
    // logLevel off: at xterm's default ('info') each sequence it cannot parse is a console.warn with a dump of
    // its parser state, and an owner printing `ESC [` + a non-ASCII character in a loop wrote ~10 MB to the
    // portal's stderr per 64 KiB fed (227 ms of CPU against 9).
    this.#term = new Terminal({ cols, rows, scrollback: 0, allowProposedApi: true, logLevel: 'off' });
    this.#serializer = new SerializeAddon();
    this.#term.loadAddon(this.#serializer);
  }

  /** The emulated size (the owner's, within {@link maxScreen}; a resize asked for counts at once). */
  get size(): Size { return { ...this.#size }; }

  /** Queues owner output (hot path: no parsing here). */
  output(chunk: Buffer): void {
    if (this.#disposed || chunk.length === 0) return;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    while (this.#pendingBytes > this.#limits.maxPendingBytes && this.#pending.length > 1) {
      const old = this.#pending.shift() as Buffer;
      this.#pendingBytes -= old.length;
      this.droppedBytes += old.length;
      this.#reset = true;
    }
    this.#schedule();
  }

  /** Follows the owner's window size (within {@link maxScreen}), from the next feed on. */
  resize(size: Size): void {
    if (this.#disposed) return;
    this.#size = clampSize(size);
    this.#resized = true;
    this.#schedule();
  }

  /**
   * The screen as escape sequences that redraw it on a blank terminal, after
   * every byte output so far. Synchronous capture point: output that arrives
   * after this call is not in the snapshot.
   */
  snapshot(): Promise<string> {
    return new Promise((resolve) => {
      if (this.#disposed) return resolve('');
      this.#flush();
      // Written after everything queued: the callback runs once all of it is parsed.
      this.#term.write('', () => resolve(this.#disposed ? '' : this.#serializer.serialize({ scrollback: 0 })));
    });
  }

  /** Frees the emulator. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#timer);
    this.#pending = [];
    this.#term.dispose();
  }

  #schedule(): void {
    if (this.#timer || this.#inFlight) return;
    this.#timer = setTimeout(() => { this.#timer = undefined; this.#feed(); }, this.#limits.feedDelayMs);
    this.#timer.unref();
  }

  #feed(): void {
    if (this.#disposed || (this.#pending.length === 0 && !this.#resized)) return;
    this.#inFlight = true;
    this.#flush(() => {
      this.#inFlight = false;
      if (this.#pending.length > 0 || this.#resized) this.#schedule();
    });
  }

  /** Hands everything pending to the emulator (it parses in order, asynchronously). */
  #flush(done?: () => void): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // A reset travels in the stream (RIS): an earlier batch may still be parsing.
    if (this.#reset) this.#pending.unshift(Buffer.from('\x1bc'));
    this.#reset = false;
    const data = this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    const size = this.#resized ? this.#size : undefined;
    this.#resized = false;
    if (data.length === 0 && !size) {
      done?.();
      return;
    }
    // The output so far is parsed at the old size (the emulator parses in order, later): the new size applies
    // once it is, before what follows.
    this.#term.write(data.length > 0 ? data : '', () => {
      if (size && !this.#disposed && (size.cols !== this.#term.cols || size.rows !== this.#term.rows)) this.#term.resize(size.cols, size.rows);
      done?.();
    });
  }
}
