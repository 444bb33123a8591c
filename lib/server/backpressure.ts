import type { Socket } from 'node:net';

/** Bounds on what the portal keeps for a peer that does not read. */
export interface OutputLimits {
  /** Once this many bytes wait in the socket to be sent, the portal stops reading from the peer. */
  highWaterBytes: number;
  /** A peer that reads nothing for this long while reading from it is paused is dropped. */
  stuckMs: number;
}

/** The defaults, documented in SECURITY.md. */
export const defaultOutputLimits: OutputLimits = { highWaterBytes: 1024 * 1024, stuckMs: 60_000 };

/** What the guard reports to the socket's owner. */
export interface OutputGuardEvents {
  /** Reading stopped: the peer's unsent output passed the bound. */
  paused(pendingBytes: number): void;
  /** The peer read nothing for `stuckMs` while paused: the owner should drop it. */
  stuck(pendingBytes: number): void;
}

/**
 * Backpressure on a raw client socket, for every kind of connection: every
 * reply the portal sends is caused by something the peer sent (global and
 * channel requests are not flow-controlled by SSH windows), so a peer that
 * sends and never reads would otherwise grow the portal's memory without
 * bound. When the socket's unsent output passes the bound, the socket stops
 * being read (the peer's own TCP window then stops it); reading resumes once
 * the output drained. Checked once per burst of incoming data, after the SSH
 * layer handled it. A slow reader is never dropped; one that reads nothing at
 * all for `stuckMs` is reported stuck.
 */
export function guardOutput(socket: Socket, limits: OutputLimits, events: OutputGuardEvents): void {
  let paused = false;
  let scheduled = false;
  let stuckTimer: NodeJS.Timeout | undefined;
  const onDrain = (): void => {
    paused = false;
    clearTimeout(stuckTimer);
    if (!socket.destroyed) socket.resume();
  };
  /** Reports the peer stuck when its unsent output did not shrink at all over `stuckMs`. */
  const watch = (last: number): void => {
    stuckTimer = setTimeout(() => {
      const now = socket.writableLength;
      if (now < last) return watch(now);
      events.stuck(now);
    }, limits.stuckMs);
    stuckTimer.unref();
  };
  const check = (): void => {
    scheduled = false;
    const pending = socket.writableLength;
    if (paused || socket.destroyed || pending <= limits.highWaterBytes) return;
    paused = true;
    socket.pause();
    events.paused(pending);
    watch(pending);
    // The bound is far above the socket's high-water mark, so the last write asked for 'drain'.
    socket.once('drain', onDrain);
  };
  socket.on('data', () => {
    if (scheduled) return;
    scheduled = true;
    // After the SSH layer's own 'data' listener handled the chunk and wrote its replies.
    setImmediate(check);
  });
  socket.once('close', () => clearTimeout(stuckTimer));
}
