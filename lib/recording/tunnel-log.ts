/**
 * The tunnel log: one JSON line per finished forward (who, where, bytes each
 * way, duration), appended without ever blocking the data path.
 */
import type { Logger } from '../log.js';
import { BoundedFileWriter } from './bounded-file.js';
import type { Seal } from './seal.js';

/** Kinds of forwarded channels. */
export type TunnelKind =
  | 'direct-tcpip'
  | 'forwarded-tcpip'
  | 'direct-streamlocal'
  | 'forwarded-streamlocal'
  | 'auth-agent'
  | 'x11';

/** One finished forward. */
export interface TunnelRecord {
  kind: TunnelKind;
  user?: string;
  host?: string;
  /** Where the connection came from (`addr:port` or a socket path). */
  from: string;
  /** Where it went. */
  to: string;
  /** Bytes client → target. */
  bytesUp: number;
  /** Bytes target → client. */
  bytesDown: number;
  /** Start, as a Date. */
  startedAt: Date;
  durationMs: number;
  error?: string;
}

/** Formats one record as a JSON line (pure). */
export function formatTunnelRecord(r: TunnelRecord): string {
  const obj: Record<string, unknown> = {
    time: r.startedAt.toISOString(),
    kind: r.kind,
    user: r.user,
    host: r.host,
    from: r.from,
    to: r.to,
    bytes_up: r.bytesUp,
    bytes_down: r.bytesDown,
    duration_ms: Math.round(r.durationMs),
    error: r.error,
  };
  return JSON.stringify(obj) + '\n';
}

/** Appends tunnel records to one file. */
export class TunnelLog {
  readonly path: string;
  #file: BoundedFileWriter;
  constructor(opts: { path: string; log: Logger; maxQueuedBytes?: number }) {
    this.path = opts.path;
    this.#file = new BoundedFileWriter({ path: opts.path, log: opts.log, maxQueuedBytes: opts.maxQueuedBytes ?? 1024 * 1024 });
  }
  /** Appends a record; returns false if it was dropped. */
  append(r: TunnelRecord): boolean { return this.#file.write(formatTunnelRecord(r)); }
  /** Flushes and closes; returns the file's final seal. */
  async close(): Promise<Seal> {
    await this.#file.close();
    return this.#file.seal();
  }
}
