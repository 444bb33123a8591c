/**
 * Tees a PTY session into an asciicast v2 file without ever stalling the data
 * path: every call encodes synchronously and hands a line to a
 * {@link BoundedFileWriter}. The relay pauses a session while the file lags
 * ({@link CastRecorder.backlogged}), so a recording stays complete at full
 * speed; should the queue fill anyway, lines are dropped and a marker event
 * (`m`) notes how much was lost once writing resumes.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from '../log.js';
import type { RecordingMode } from '../recording-mode.js';
import { elapsedSeconds, encodeCastEvent, encodeCastHeader, resizeData, type CastEventCode } from './asciicast.js';
import { BoundedFileWriter } from './bounded-file.js';
import type { Seal } from './seal.js';

/** What a recording keeps: output and input, or input only. */
export type CastMode = Exclude<RecordingMode, 'disabled'>;

/** Options of {@link CastRecorder}. */
export interface CastRecorderOptions {
  path: string;
  mode: CastMode;
  width: number;
  height: number;
  env?: Readonly<Record<string, string>>;
  title?: string;
  log: Logger;
  /** Milliseconds clock (injected for tests). */
  now?: () => number;
  maxQueuedBytes?: number;
  /** Seal checkpoint interval (see {@link BoundedFileWriter}). */
  sealIntervalMs?: number;
}

/** Summary of a finished recording. */
export interface CastSummary {
  path: string;
  droppedBytes: number;
  failed: boolean;
  /** Length and hash of what reached the disk (also in the `.seal` sidecar). */
  seal: Seal;
}

/** Records one PTY session as asciicast v2. */
export class CastRecorder {
  readonly path: string;
  #mode: CastMode;
  #now: () => number;
  #start: number;
  #file: BoundedFileWriter;
  #out = new StringDecoder('utf8');
  #in = new StringDecoder('utf8');
  #lostSinceMark = 0;
  #closed = false;

  constructor(opts: CastRecorderOptions) {
    this.path = opts.path;
    this.#mode = opts.mode;
    this.#now = opts.now ?? Date.now;
    this.#start = this.#now();
    this.#file = new BoundedFileWriter({ path: opts.path, log: opts.log, maxQueuedBytes: opts.maxQueuedBytes, sealIntervalMs: opts.sealIntervalMs });
    const header: Parameters<typeof encodeCastHeader>[0] = {
      width: opts.width,
      height: opts.height,
      timestamp: this.#start / 1000,
      env: opts.env,
    };
    if (opts.title !== undefined) header.title = opts.title;
    this.#file.write(encodeCastHeader(header));
  }

  /** Output from the target (ignored in `input` mode). */
  output(chunk: Buffer): void {
    if (this.#mode !== 'everything') return;
    this.#event('o', this.#out.write(chunk));
  }

  /** Input from the user. */
  input(chunk: Buffer): void {
    this.#event('i', this.#in.write(chunk));
  }

  /** True while the file lags behind: the session should pause its output (see {@link onceReady}). */
  get backlogged(): boolean { return this.#file.backlogged; }

  /** Calls `cb` once the file caught up (at once if it is not behind). */
  onceReady(cb: () => void): void { this.#file.onceReady(cb); }

  /** A marker (`m` event): someone started or stopped watching, and the like. */
  marker(label: string): void {
    this.#event('m', label);
  }

  /** The terminal was resized. */
  resize(cols: number, rows: number): void {
    this.#event('r', resizeData(cols, rows));
  }

  /** Flushes and closes the file. Idempotent; never rejects. */
  async close(): Promise<CastSummary> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#mode === 'everything') this.#event('o', this.#out.end(), true);
      this.#event('i', this.#in.end(), true);
      await this.#file.close();
    }
    return { path: this.path, droppedBytes: this.#file.droppedBytes, failed: this.#file.failed, seal: this.#file.seal() };
  }

  #event(code: CastEventCode, data: string, final = false): void {
    if (data.length === 0 || (this.#closed && !final)) return;
    const t = elapsedSeconds(this.#start, this.#now());
    if (this.#lostSinceMark > 0) {
      const mark = encodeCastEvent(t, 'm', `recording dropped ${this.#lostSinceMark} bytes`);
      if (this.#file.write(mark)) this.#lostSinceMark = 0;
    }
    const line = encodeCastEvent(t, code, data);
    if (!this.#file.write(line)) this.#lostSinceMark += Buffer.byteLength(line);
  }
}
