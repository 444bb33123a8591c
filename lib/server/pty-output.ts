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
      let out = '';
      for (const ch of s) {
        if (ch === '\n' && !lastWasCr) out += '\r';
        out += ch;
        lastWasCr = ch === '\r';
      }
      cb(null, out);
    },
  });
  t.pipe(target, { end: false });
  return t;
}
