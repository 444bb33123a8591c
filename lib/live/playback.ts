/**
 * Pure pieces of `session replay`: reading one asciicast v2 line and the
 * pause before an event (speed, idle limit). No I/O, no clock.
 */

/** One event of a recording. */
export interface CastEvent {
  time: number;
  code: string;
  data: string;
}

/** Parses an event line `[time, code, data]`; null for anything else (a blank or foreign line is skipped). */
export function parseCastEvent(line: string): CastEvent | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v.length < 3) return null;
  const [time, code, data] = v as unknown[];
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0 || typeof code !== 'string' || typeof data !== 'string') return null;
  return { time, code, data };
}

/** Whether a header line is an asciicast v2 header. */
export function isCastHeader(line: string): boolean {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && (v as Record<string, unknown>).version === 2;
  } catch {
    return false;
  }
}

/** Playback options. */
export interface Playback {
  /** 2 plays twice as fast. */
  speed: number;
  /** Longest pause in seconds (null: as recorded). */
  idleLimit: number | null;
}

/** Milliseconds to wait between an event at `prev` and one at `next` (seconds). */
export function pauseMs(prev: number, next: number, p: Playback): number {
  let gap = Math.max(0, next - prev);
  if (p.idleLimit !== null) gap = Math.min(gap, p.idleLimit);
  return Math.round((gap / p.speed) * 1000);
}

/** Parses `--speed` (a positive number, at most 1000). */
export function parseSpeed(text: string | undefined): number | null {
  if (text === undefined) return 1;
  if (!/^\d+(\.\d+)?$/.test(text)) return null;
  const n = Number(text);
  return n > 0 && n <= 1000 ? n : null;
}

/** Parses `--idle-limit` (seconds, positive, at most one day). */
export function parseIdleLimit(text: string | undefined): number | null | 'bad' {
  if (text === undefined) return null;
  if (!/^\d+(\.\d+)?$/.test(text)) return 'bad';
  const n = Number(text);
  return n > 0 && n <= 86_400 ? n : 'bad';
}
