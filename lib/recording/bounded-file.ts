/**
 * An append-only file writer that never blocks its caller: writes go into a
 * bounded in-memory queue drained by one asynchronous loop. When the queue is
 * full (the disk cannot keep up) the chunk is dropped and counted; when the
 * file cannot be opened or written, everything after is dropped and counted.
 * It hashes what reaches the disk and seals the file (`FILE.seal`, see
 * {@link encodeSealFile}) every `sealIntervalMs` while it grows, and at close.
 * A producer that can slow down asks {@link BoundedFileWriter.backlogged} and
 * waits with {@link BoundedFileWriter.onceReady}, so that nothing is dropped
 * while the disk merely lags (dropping stays the answer to a full queue).
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { encodeSealFile, sealPath, type Seal } from './seal.js';

/** Default bound of the queue. */
const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024;
const MAX_BATCH_BYTES = 1024 * 1024;
/**
 * A small write waits this long for others to join it: a typing session then
 * costs one file write per burst instead of two per keystroke (input and its
 * echo), each a trip through the thread pool. A crash loses at most this much
 * more of the tail.
 */
const COALESCE_MS = 20;
/** Queued bytes that start a write at once. */
const COALESCE_BYTES = 64 * 1024;
/** Live recordings are sealed this often, so a crash loses at most this much of the tail's proof. */
const DEFAULT_SEAL_INTERVAL_MS = 30_000;

/** One buffer of a batch's chunks (`size` bytes): event texts are joined and encoded once. */
function bytesOf(batch: (string | Buffer)[], size: number): Buffer {
  if (batch.every((c) => typeof c === 'string')) return Buffer.from(batch.join(''), 'utf8');
  if (batch.length === 1 && Buffer.isBuffer(batch[0])) return batch[0];
  return Buffer.concat(batch.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)), size);
}

/** Options of {@link BoundedFileWriter}. */
export interface BoundedFileWriterOptions {
  path: string;
  log: Logger;
  maxQueuedBytes?: number;
  /** File mode of a new file (default 0o600: recordings may hold secrets). */
  mode?: number;
  /** Checkpoint interval of the seal (default {@link DEFAULT_SEAL_INTERVAL_MS}). */
  sealIntervalMs?: number;
}

/** Non-blocking, bounded, append-only file writer. */
export class BoundedFileWriter {
  readonly path: string;
  #log: Logger;
  #max: number;
  #mode: number;
  /** Chunks waiting, as given (an event's text is turned into bytes once per batch, not once per event), and their sizes in bytes. */
  #queue: (string | Buffer)[] = [];
  #sizes: number[] = [];
  #queued = 0;
  #dropped = 0;
  #failed = false;
  #closing = false;
  #loop: Promise<void> | undefined;
  #fh: Promise<FileHandle | undefined> | undefined;
  #hash: Hash = createHash('sha256');
  #length = 0;
  #sealedLength = -1;
  #sealing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout;
  /** Pending start of the drain loop while small writes gather. */
  #gather: NodeJS.Timeout | undefined;
  /** Producers paused on {@link backlogged}, called once the queue is low again. */
  #waiters: (() => void)[] = [];

  constructor(opts: BoundedFileWriterOptions) {
    this.path = opts.path;
    this.#log = opts.log;
    this.#max = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.#mode = opts.mode ?? 0o600;
    this.#timer = setInterval(() => { if (this.#length !== this.#sealedLength) this.#writeSeal(false); }, opts.sealIntervalMs ?? DEFAULT_SEAL_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Length and hash of the bytes on disk so far. */
  seal(): Seal {
    return { length: this.#length, sha256: this.#hash.copy().digest('hex') };
  }

  /** Bytes dropped so far (queue full or file failure). */
  get droppedBytes(): number { return this.#dropped; }

  /** Whether the file could not be opened or written. */
  get failed(): boolean { return this.#failed; }

  /**
   * True while half the queue is in use and the file still takes data: a
   * producer that can pause should, until {@link onceReady} calls back.
   */
  get backlogged(): boolean {
    return !this.#failed && !this.#closing && this.#queued * 2 >= this.#max;
  }

  /** Calls `cb` once the queue fell to a quarter (or the file failed or closes); at once if not backlogged. */
  onceReady(cb: () => void): void {
    if (this.backlogged) this.#waiters.push(cb);
    else cb();
  }

  #release(): void {
    if (this.#waiters.length === 0 || (!this.#failed && !this.#closing && this.#queued * 4 > this.#max)) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const cb of waiters) cb();
  }

  /** Queues a chunk; returns false when it was dropped. Never blocks. */
  write(chunk: string | Buffer): boolean {
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk, 'utf8') : chunk.length;
    if (this.#failed || this.#closing || this.#queued + size > this.#max) {
      this.#dropped += size;
      return false;
    }
    this.#queue.push(chunk);
    this.#sizes.push(size);
    this.#queued += size;
    this.#kick(false);
    return true;
  }

  /** Starts the drain loop unless it runs: at once when `now`, closing or enough is queued, else after {@link COALESCE_MS}. */
  #kick(now: boolean): void {
    if (this.#loop || this.#queue.length === 0) return;
    if (!now && !this.#closing && this.#queued < COALESCE_BYTES) {
      this.#gather ??= setTimeout(() => { this.#gather = undefined; this.#kick(true); }, COALESCE_MS);
      return;
    }
    clearTimeout(this.#gather);
    this.#gather = undefined;
    // What was queued after the loop's last look starts the next one.
    this.#loop = this.#drain().finally(() => { this.#loop = undefined; this.#kick(false); });
  }

  /** Flushes what is queued, then closes the file. Never rejects. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    this.#release();
    this.#kick(true);
    while (this.#loop) await this.#loop;
    const fh = await this.#fh;
    await fh?.close().catch((err: unknown) => this.#log.warn('recording close failed', { path: this.path, err }));
    if (fh) this.#writeSeal(true);
    await this.#sealing;
  }

  /** Writes the sidecar atomically (temporary file, then rename), after the previous one. */
  #writeSeal(final: boolean): void {
    const seal = this.seal();
    this.#sealedLength = seal.length;
    const target = sealPath(this.path);
    this.#sealing = this.#sealing.then(async () => {
      try {
        await writeFile(`${target}.tmp`, encodeSealFile(seal, final, new Date()), { mode: this.#mode });
        await rename(`${target}.tmp`, target);
      } catch (err) {
        this.#log.warn('recording seal failed', { path: this.path, err });
      }
    });
  }

  /** A file that already has content (a reused name) is hashed from its first byte. */
  async #hashExisting(fh: FileHandle): Promise<void> {
    if ((await fh.stat()).size === 0) return;
    const existing = await readFile(this.path);
    this.#hash.update(existing);
    this.#length += existing.length;
  }

  #handle(): Promise<FileHandle | undefined> {
    this.#fh ??= (async () => {
      try {
        await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
        const fh = await open(this.path, 'a', this.#mode);
        // A file whose existing bytes cannot be hashed could never be sealed right: fail it, close it.
        await this.#hashExisting(fh).catch(async (err: unknown) => { await fh.close().catch(() => undefined); throw err; });
        return fh;
      } catch (err) {
        this.#fail(err);
        return undefined;
      }
    })();
    return this.#fh;
  }

  #fail(err: unknown): void {
    if (!this.#failed) this.#log.warn('recording file failed; dropping its data', { path: this.path, err });
    this.#failed = true;
    this.#dropped += this.#queued;
    this.#queue = [];
    this.#sizes = [];
    this.#queued = 0;
    this.#release();
  }

  async #drain(): Promise<void> {
    const fh = await this.#handle();
    while (fh && this.#queue.length > 0 && !this.#failed) {
      let count = 0;
      let size = 0;
      while (count < this.#queue.length && size < MAX_BATCH_BYTES) size += this.#sizes[count++] ?? 0;
      const batch = this.#queue.splice(0, count);
      this.#sizes.splice(0, count);
      try {
        const chunk = bytesOf(batch, size);
        await fh.write(chunk);
        this.#hash.update(chunk);
        this.#length += size;
        this.#queued -= size;
        this.#release();
      } catch (err) {
        this.#queued -= size;
        this.#dropped += size;
        this.#fail(err);
      }
      // What arrived during the write gathers too (see #kick): written at once, each keystroke's
      // echo made a file write of its own, a trip through the thread pool (issue 13).
      if (!this.#closing && this.#queued < COALESCE_BYTES) break;
    }
  }
}
