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
  /** Output dropped before reaching the emulator (bulk streams), for the record. */
  droppedBytes = 0;

  constructor(size: Size, limits: ScreenLimits = defaultScreenLimits) {
    this.#limits = limits;
    this.#term = new Terminal({ cols: size.cols, rows: size.rows, scrollback: 0, allowProposedApi: true });
    this.#serializer = new SerializeAddon();
    this.#term.loadAddon(this.#serializer);
  }

  /** The emulated size (the owner's). */
  get size(): Size { return { cols: this.#term.cols, rows: this.#term.rows }; }

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

  /** Follows the owner's window size. */
  resize(size: Size): void {
    if (this.#disposed) return;
    this.#flush();
    this.#term.resize(Math.max(1, size.cols), Math.max(1, size.rows));
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
    if (this.#disposed || this.#pending.length === 0) return;
    this.#inFlight = true;
    this.#flush(() => {
      this.#inFlight = false;
      if (this.#pending.length > 0) this.#schedule();
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
    if (data.length > 0) this.#term.write(data, done);
    else done?.();
  }
}
