/**
 * Streams a recording to the admin's terminal: `session replay` (with its
 * timing; q or Ctrl-C quits) and `session export` (the raw file). Lines are
 * read with a bound; output waits for the channel (backpressure).
 */
import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError } from '../errors.js';
import { drainedOrGone, isGone, rememberClose } from '../ssh/channel-gone.js';
import { isCastHeader, parseCastEvent, pauseMs, type Playback } from './playback.js';

/** Longest line of a recording accepted (one output event). */
const maxCastLineBytes = 8 * 1024 * 1024;

/** Keys that stop a replay: q, Q, Ctrl-C. */
const quitKeys = new Set([0x71, 0x51, 0x03]);

/**
 * Writes `data` to the viewer's channel, resolving once it takes more: true,
 * or false when the channel is gone (before, or while waiting). A gone
 * channel (lib/ssh/channel-gone.ts) never drains: a write to it waited for good.
 */
async function write(out: Writable, data: Buffer | string): Promise<boolean> {
  if (isGone(out)) return false;
  if (out.write(data)) return true;
  return (await drainedOrGone(out)) === 'drained';
}

/** Copies the file to `out` as it is, until the channel is gone. */
export async function exportCast(src: Readable, out: Writable): Promise<void> {
  rememberClose(out);
  try {
    for await (const chunk of src) if (!(await write(out, chunk as Buffer))) return;
  } finally {
    src.destroy();
  }
}

/** The lines of `src`, bounded. */
async function* lines(src: Readable): AsyncGenerator<string> {
  let rest = Buffer.alloc(0);
  for await (const chunk of src) {
    rest = Buffer.concat([rest, chunk as Buffer]);
    let nl: number;
    while ((nl = rest.indexOf(10)) >= 0) {
      yield rest.subarray(0, nl).toString('utf8');
      rest = rest.subarray(nl + 1);
    }
    if (rest.length > maxCastLineBytes) throw new InvalidArgumentError('the recording has a line too long to play');
  }
  if (rest.length > 0) yield rest.toString('utf8');
}

/** Longest single wait (setTimeout fires at once past it). */
const maxSleepMs = 2 ** 31 - 1;

/** A stop signal fed by keystrokes, and by the viewer's channel closing. */
class Quit {
  quitted = false;
  #wake: (() => void) | null = null;
  #keys: Readable | null;
  #out: Writable;
  #stop = (): void => {
    this.quitted = true;
    this.#wake?.();
  };

  #onData = (d: Buffer): void => {
    if (d.some((b) => quitKeys.has(b))) this.#stop();
  };

  constructor(keys: Readable | null, out: Writable) {
    this.#keys = keys;
    this.#out = out;
    keys?.on('data', this.#onData);
    // A viewer gone during a long pause (a slow --speed) would otherwise hold the file until it ends.
    keys?.once('close', this.#stop);
    out.once('close', this.#stop);
  }

  /** Waits `ms` unless a quit key or a close comes first. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.quitted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#wake = null; resolve(); }, Math.min(ms, maxSleepMs));
      this.#wake = () => { clearTimeout(timer); this.#wake = null; resolve(); };
    });
  }

  close(): void {
    this.#keys?.off('data', this.#onData);
    this.#keys?.off('close', this.#stop);
    this.#out.off('close', this.#stop);
  }
}

/** Plays the recording's output with its timing; resolves `quit` when a quit key stopped it. */
export async function replayCast(src: Readable, out: Writable, keys: Readable | null, p: Playback): Promise<'done' | 'quit'> {
  const quit = new Quit(keys, out);
  rememberClose(out);
  try {
    let first = true;
    let prev = 0;
    for await (const line of lines(src)) {
      if (quit.quitted) return 'quit';
      if (first) {
        if (!isCastHeader(line)) throw new InvalidArgumentError('the recording is not an asciicast v2 file');
        first = false;
        continue;
      }
      const e = parseCastEvent(line);
      if (!e || e.code !== 'o') continue;
      await quit.sleep(pauseMs(prev, e.time, p));
      prev = e.time;
      // A quit key may have come during the pause.
      if (quit.quitted as boolean) return 'quit';
      if (!(await write(out, e.data))) return 'quit';
    }
    return quit.quitted ? 'quit' : 'done';
  } finally {
    quit.close();
    src.destroy();
  }
}
