/**
 * How the terminal editor cuts a client's input before decoding it: one
 * segment at a time, so that what one segment makes the portal queue or write
 * is bounded whatever the client sends (SECURITY.md, a user flooding their own shell).
 */

/** Bytes after which a segment of input ends: see {@link segmentEnd}. */
const segmentBytes: ReadonlySet<number> = new Set([0x0d, 0x0a, 0x03, 0x09, 0x0c]);

/**
 * Where the first segment of `buf` ends: after its first CR, LF, Ctrl-C, Tab or
 * Ctrl-L, else at its end. Only these bytes decode to keys that end a line or
 * write more than their echo (a line, `^C`, a completion list, a cleared
 * screen), so a segment queues at most one line and writes a bounded amount.
 */
export function segmentEnd(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) if (segmentBytes.has(buf[i] ?? 0)) return i + 1;
  return buf.length;
}
