/**
 * Mends how ssh2 resumes channel writes that waited for the peer's window.
 * ssh2 keeps one waiting write per stream of a channel (stdout's in
 * `_chunk`/`_chunkcb`, a server channel's stderr's in `_chunkErr`/
 * `_chunkcbErr`) and, on the peer's next window adjust, retries the first it
 * finds, stdout's first. Two faults, both measured with ssh2 1.17 alone:
 * - It never clears a retried write once it went out. After a stdout write
 *   had waited once, the next stderr write that waited made the adjust send
 *   that old stdout data again and call its callback a second time, and the
 *   stderr data was never sent: 3 MiB of stdout then 3 MiB of stderr reached
 *   the client as 4 MiB of stdout and none of stderr. Relayed output (rsync's
 *   protocol on stdout, its messages on stderr) could be corrupted that way
 *   for a user slower than the target.
 * - When both streams wait, only stdout is retried; stderr waits until stdout
 *   next waits, for good if it never does.
 * Each `_write` now clears its stream's slot before it runs (ssh2 fills it
 * again if the write has to wait), and after an adjust a server channel's
 * waiting stderr write is retried too while window is left.
 */
import type { Connection } from 'ssh2';
import { channelAt, type ConnectionInternals } from './channel-window.js';
import { writePrototypes } from './transport-backpressure.js';

type WriteCb = (err?: Error | null) => void;
type WriteFn = (this: unknown, data: Buffer, encoding: BufferEncoding | null, cb: WriteCb) => void;

/** The fields of an ssh2 channel this module reads and clears. */
interface PendingChannel {
  _chunk?: Buffer;
  _chunkcb?: WriteCb;
  _chunkErr?: Buffer;
  _chunkcbErr?: WriteCb;
  _waitWindow?: boolean;
  outgoing?: { window?: number };
  stderr?: { _write?: WriteFn };
}

let applied = false;

/** Wraps `proto._write` so that `clear(this)` runs first. */
function clearingFirst(proto: { _write?: unknown }, clear: (self: unknown) => void): void {
  const original = proto._write as WriteFn;
  proto._write = function (this: unknown, data: Buffer, encoding: BufferEncoding | null, cb: WriteCb): void {
    clear(this);
    original.call(this, data, encoding, cb);
  };
}

/** Installs the clearing on ssh2's Channel and server stderr (once per process); false if this ssh2 has no such classes. */
export function applyPendingWriteFixes(): boolean {
  if (applied) return true;
  const protos = writePrototypes();
  if (!protos) return false;
  const { channel, stderr } = protos;
  clearingFirst(channel, (self) => {
    const ch = self as PendingChannel;
    ch._chunk = undefined;
    ch._chunkcb = undefined;
  });
  clearingFirst(stderr, (self) => {
    const ch = (self as { _channel?: PendingChannel })._channel;
    if (!ch) return;
    ch._chunkErr = undefined;
    ch._chunkcbErr = undefined;
  });
  applied = true;
  return true;
}

/**
 * After each window adjust on server connection `conn`, retries a channel's
 * waiting stderr write that ssh2 left waiting (it retried stdout's, and window
 * is left). Returns false if this ssh2 has no handler table.
 */
export function retryStderrOnAdjust(conn: Connection): boolean {
  const internals = conn as unknown as ConnectionInternals;
  const handlers = internals._protocol?._handlers;
  const original = handlers?.CHANNEL_WINDOW_ADJUST;
  if (!handlers || typeof original !== 'function') return false;
  const handle = original as (self: unknown, recipient: number, amount: number) => unknown;
  handlers.CHANNEL_WINDOW_ADJUST = (self: unknown, recipient: number, amount: number): unknown => {
    const result = handle(self, recipient, amount);
    const ch = channelAt(internals, recipient) as PendingChannel | undefined;
    if (!ch) return result;
    const data = ch._chunkErr;
    const write = ch.stderr?._write;
    if (data && !ch._waitWindow && (ch.outgoing?.window ?? 0) > 0 && typeof write === 'function') {
      write.call(ch.stderr, data, null, ch._chunkcbErr ?? (() => undefined));
    }
    return result;
  };
  return true;
}
