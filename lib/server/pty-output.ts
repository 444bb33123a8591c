import { Transform, type Writable } from 'node:stream';

/**
 * Output for a client with a terminal: the remote side of a pty expects CR LF,
 * as a kernel tty's ONLCR would produce. Lone LFs become CR LF; the result is
 * piped into `target` without ending it.
 */
export function crlfWriter(target: Writable): Writable {
  let lastWasCr = false;
  const t = new Transform({
    transform(chunk: Buffer | string, _enc, cb) {
      const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      // One pass in native code: a character loop held the event loop 1.1 s for 3 MB (`host ls` of 20k hosts).
      let out = s.replace(/\r?\n/g, (eol) => (eol.length === 2 ? eol : '\r\n'));
      // An LF right after the previous chunk's CR already had its CR.
      if (lastWasCr && s.startsWith('\n')) out = out.slice(1);
      if (s.length > 0) lastWasCr = s.endsWith('\r');
      cb(null, out);
    },
  });
  t.pipe(target, { end: false });
  return t;
}
