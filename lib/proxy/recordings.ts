/**
 * The recordings of one relayed connection: one `.cast` per PTY session and
 * one tunnel log for its forwards, named after the plan's base name.
 */
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { CastRecorder, type CastSummary } from '../recording/cast-recorder.js';
import type { RecordingSeal } from '../recording/seal.js';
import { TunnelLog, type TunnelRecord } from '../recording/tunnel-log.js';
import type { RecordingPlan, RelayEvent } from './types.js';

/** Shared stand-in for a list nothing was added to yet (one empty array per connection costs memory per session). */
const none: readonly never[] = [];

/** Owns and closes every recording file of a connection (its lists are made on first use: most sessions record no cast). */
export class ConnectionRecordings {
  #plan: RecordingPlan;
  #log: Logger;
  #events: { emit(e: RelayEvent): void };
  #casts: readonly CastRecorder[] = none;
  #tunnels: TunnelLog | undefined;
  #closing: readonly Promise<CastSummary>[] = none;
  #finished: Set<CastRecorder> | undefined;
  #closed = false;

  constructor(plan: RecordingPlan, log: Logger, events: { emit(e: RelayEvent): void }) {
    this.#plan = plan;
    this.#log = log;
    this.#events = events;
  }

  /** Starts a cast for a PTY session, or undefined when recording is disabled. */
  startCast(pty: { cols: number; rows: number; term: string }, title: string): CastRecorder | undefined {
    const mode = this.#plan.mode;
    if (mode === 'disabled' || this.#closed) return undefined;
    const n = this.#casts.length + 1;
    const path = join(this.#plan.dir, `${this.#plan.baseName}${n > 1 ? `-${n}` : ''}.cast`);
    const who = [this.#plan.user, this.#plan.host].filter(Boolean).join('@');
    const rec = new CastRecorder({
      path,
      mode,
      width: pty.cols,
      height: pty.rows,
      env: { TERM: pty.term },
      title: who ? `${who}: ${title}` : title,
      log: this.#log,
    });
    this.#casts = [...this.#casts, rec];
    this.#events.emit({ type: 'recording-started', path });
    return rec;
  }

  /** Closes one cast early (its session ended). */
  finishCast(rec: CastRecorder): void {
    this.#finished ??= new Set();
    if (this.#finished.has(rec)) return;
    this.#finished.add(rec);
    const closing = rec.close().then((s) => {
      this.#events.emit({ type: 'recording-finished', path: s.path, droppedBytes: s.droppedBytes, failed: s.failed });
      return s;
    });
    this.#closing = [...this.#closing, closing];
  }

  /** Appends a finished forward to the tunnel log (unless recording is disabled). */
  tunnel(r: Omit<TunnelRecord, 'user' | 'host'>): void {
    if (this.#plan.mode === 'disabled' || this.#closed) return;
    this.#tunnels ??= new TunnelLog({ path: join(this.#plan.dir, `${this.#plan.baseName}.tunnels.log`), log: this.#log });
    this.#tunnels.append({ ...r, user: this.#plan.user, host: this.#plan.host });
  }

  /** Flushes and closes everything; returns the files written with their seals. */
  async close(): Promise<RecordingSeal[]> {
    this.#closed = true;
    for (const rec of this.#casts) this.finishCast(rec);
    const sealed: RecordingSeal[] = (await Promise.all(this.#closing)).map((s) => ({ path: s.path, ...s.seal }));
    if (this.#tunnels) sealed.push({ path: this.#tunnels.path, ...(await this.#tunnels.close()) });
    return sealed;
  }
}
