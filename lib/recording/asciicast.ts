/**
 * Pure asciicast v2 encoders (https://docs.asciinema.org/manual/asciicast/v2/):
 * a header line, then one JSON array per event: `[time, code, data]` where
 * time is seconds since the start (float), and code is `o` (output), `i`
 * (input), `r` (resize, data `COLSxROWS`) or `m` (marker). No clock inside:
 * callers pass times.
 */

/** The header of a recording. */
export interface CastHeader {
  width: number;
  height: number;
  /** Unix time of the start, in seconds. */
  timestamp: number;
  env?: Readonly<Record<string, string>>;
  title?: string;
}

/** Event codes of asciicast v2. */
export type CastEventCode = 'o' | 'i' | 'r' | 'm';

function positiveInt(n: number, fallback: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

/** Encodes the header line (with its trailing newline). */
export function encodeCastHeader(h: CastHeader): string {
  const obj: Record<string, unknown> = {
    version: 2,
    width: positiveInt(h.width, 80),
    height: positiveInt(h.height, 24),
    timestamp: Math.floor(h.timestamp),
  };
  if (h.env && Object.keys(h.env).length > 0) obj.env = { ...h.env };
  if (h.title !== undefined) obj.title = h.title;
  return JSON.stringify(obj) + '\n';
}

/** Seconds between two millisecond instants, rounded to the microsecond, never negative. */
export function elapsedSeconds(startMs: number, nowMs: number): number {
  const s = Math.max(0, nowMs - startMs) / 1000;
  return Math.round(s * 1e6) / 1e6;
}

/** Encodes one event line (with its trailing newline). */
export function encodeCastEvent(seconds: number, code: CastEventCode, data: string): string {
  return `[${seconds},${JSON.stringify(code)},${JSON.stringify(data)}]\n`;
}

/** The data of a resize event. */
export function resizeData(cols: number, rows: number): string {
  return `${positiveInt(cols, 80)}x${positiveInt(rows, 24)}`;
}
