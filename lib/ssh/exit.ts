/**
 * The one way a server-side session channel ends, on every path (the relay,
 * the admin shell, invites, healthchecks): an optional last line on stderr,
 * then — once every byte written before it reached the channel — the exit
 * status or signal, then EOF and CLOSE. `end()` sends EOF and CLOSE together,
 * so the exit status must precede it or the client loses it
 * (notes/ssh2-and-platform.md, pitfalls 2 and 3).
 */
import type { ServerChannel } from 'ssh2';
import type { Logger } from '../log.js';
import { flushedOrClosed } from './link.js';
import { writeIfOpen } from './write-if-open.js';

/** How a session ended: an exit status, or (`code` null) a signal. */
export interface ExitInfo { code: number | null; signal?: string; dump?: boolean; desc?: string }

/** How to end a channel. */
export interface ChannelEnd {
  /** Sent after the flush; absent when there is none to tell (the target vanished without one). */
  exit?: ExitInfo;
  /** A last line for stderr (e.g. `error: …`), without its end of line. */
  line?: string;
  /** End of line of `line`: `\r\n` on a terminal (default `\n`). */
  eol?: string;
  /** Resolves when the channel closed (defaults to a listener added now). */
  closed?: Promise<void>;
}

/** Resolves when `ch` emits 'close'. */
function channelClosed(ch: ServerChannel): Promise<void> {
  return new Promise((resolve) => ch.once('close', () => resolve()));
}

/**
 * Sends an exit status, or an exit signal (ssh2 wants the name without `SIG`;
 * one it cannot send becomes status 255).
 */
function sendExit(ch: ServerChannel, exit: ExitInfo, log: Logger): void {
  if (exit.code !== null) { ch.exit(exit.code); return; }
  try {
    ch.exit(exit.signal ?? 'KILL', exit.dump === true, exit.desc ?? '');
  } catch (err) {
    log.debug('exit signal not relayed', { signal: exit.signal, err });
    ch.exit(255);
  }
}

/** Ends `ch` as {@link ChannelEnd} says; resolves once sent (or once the peer closed the channel first). */
export async function endChannel(ch: ServerChannel, end: ChannelEnd, log: Logger): Promise<void> {
  // Set by the close callback while this function awaits.
  let closed = false as boolean;
  const done = (end.closed ?? channelClosed(ch)).then(() => { closed = true; });
  try {
    // Not after the stderr ended (its relay may have ended it): that write would be an uncaught 'error'.
    if (end.line !== undefined) writeIfOpen(ch.stderr, end.line + (end.eol ?? '\n'));
    await Promise.all([flushedOrClosed(ch, done), flushedOrClosed(ch.stderr, done)]);
    if (closed) return;
    if (end.exit) sendExit(ch, end.exit, log);
    ch.end();
  } catch (err) {
    // The client closed the channel while we were ending it.
    log.debug('channel ended by the client first', { err });
  }
}
