/**
 * One viewer of a live PTY session: a bounded queue between the owner's
 * output and the viewer's channel. A viewer that reads slower than the owner
 * writes never slows the owner and never holds more than
 * {@link maxViewerQueueBytes}: past it, the queue is dropped and the viewer
 * gets a fresh snapshot of the screen once its channel drains.
 */

/** Output queued for one viewer before it is re-synchronized from a snapshot. */
const maxViewerQueueBytes = 256 * 1024;

/** Clears the viewer's screen before a snapshot is drawn. */
export const clearScreen = '\x1b[H\x1b[2J';

/** Where a viewer's bytes go (an SSH channel: the viewer's own, or a node link's). */
export interface ViewerSink {
  /** false: buffered, wait for `drain` before writing more. */
  write(data: Buffer | string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Takes a snapshot of the screen (see LiveScreen.snapshot). */
export type Snapshotter = () => Promise<string>;

type State = 'snapshot' | 'live' | 'stale';

/** The bounded queue of one viewer. */
export class ViewerQueue {
  readonly #sink: ViewerSink;
  readonly #snapshot: Snapshotter;
  readonly #max: number;
  #state: State = 'snapshot';
  #queue: Buffer[] = [];
  #queued = 0;
  #writable = true;
  #closed = false;
  #gen = 0;
  /** Times the queue overflowed (the viewer fell behind). */
  overflows = 0;

  /** Starts with a snapshot preceded by `prefix` (a warning line, a clear). */
  constructor(sink: ViewerSink, snapshot: Snapshotter, prefix: string, max = maxViewerQueueBytes) {
    this.#sink = sink;
    this.#snapshot = snapshot;
    this.#max = max;
    this.#take(prefix);
  }

  /** Bytes waiting for the viewer. */
  get queuedBytes(): number { return this.#queued; }

  /** Owner output (hot path: a push, maybe a write). */
  push(chunk: Buffer): void {
    if (this.#closed || this.#state === 'stale') return;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > this.#max) return this.#overflow();
    if (this.#state === 'live') this.#pump();
  }

  /** Redraws the viewer's screen from a new snapshot (the owner resized). */
  refresh(): void {
    if (this.#closed || this.#state !== 'live') return;
    this.#drop();
    if (this.#writable) this.#take(clearScreen);
    else this.#state = 'stale';
  }

  /** Stops writing; frees the queue. */
  close(): void {
    this.#closed = true;
    this.#drop();
  }

  #drop(): void {
    this.#queue = [];
    this.#queued = 0;
  }

  #overflow(): void {
    this.overflows++;
    this.#drop();
    this.#state = 'stale';
    this.#gen++;
    // Re-synchronized once the viewer reads again; nothing is kept meanwhile.
    if (this.#writable) this.#take(clearScreen);
  }

  #take(prefix: string): void {
    this.#state = 'snapshot';
    const gen = ++this.#gen;
    // Output arriving from now on is queued: it follows the snapshot.
    void this.#snapshot().then((screen) => {
      if (this.#closed || gen !== this.#gen) return;
      if (this.#state === 'stale') {
        if (this.#writable) this.#take(clearScreen);
        return;
      }
      this.#state = 'live';
      this.#write(prefix + screen);
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#writable && this.#queue.length > 0 && !this.#closed) {
      const c = this.#queue.shift() as Buffer;
      this.#queued -= c.length;
      this.#write(c);
    }
  }

  #write(data: Buffer | string): void {
    let ok: boolean;
    try {
      ok = this.#sink.write(data);
    } catch {
      // The channel is closing; its close ends this viewer.
      this.#closed = true;
      return;
    }
    if (ok || !this.#writable) return;
    // One drain listener at a time, however many writes were refused.
    this.#writable = false;
    this.#sink.once('drain', () => {
      this.#writable = true;
      if (this.#closed) return;
      if (this.#state === 'stale') this.#take(clearScreen);
      else if (this.#state === 'live') this.#pump();
    });
  }
}
