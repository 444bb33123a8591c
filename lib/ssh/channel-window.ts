/**
 * Enforces the receive window of every channel of one ssh2 connection.
 * ssh2 drops channel data only when a channel's window is exactly 0: a peer
 * that sends a packet larger than the window left drives it negative, and from
 * then on every byte is queued in the channel's readable buffer, however long
 * its consumer is paused (a target that does not read stdin, a user whose
 * terminal is slow). One peer could grow the portal's memory without bound
 * (measured: 400 MB sent, +590 MB RSS). A peer that overruns a window breaks
 * RFC 4254 §5.2, which no SSH implementation does: its connection is dropped.
 */
import type { Client, Connection } from 'ssh2';

/** ssh2's CHANNEL_DATA handler (`type` is CHANNEL_EXTENDED_DATA's data type code). */
type DataHandler = (self: unknown, recipient: number, data: Buffer, type?: unknown) => unknown;

interface WindowedChannel { incoming?: { window?: number } }

/** The parts of an ssh2 connection (server or client) the portal's mends reach into. */
export interface ConnectionInternals {
  _protocol?: { _handlers?: Record<string, unknown> };
  _chanMgr?: { get(id: number): unknown };
}

/**
 * ssh2's channel object for local channel `recipient` of a connection, or
 * undefined if there is none: a server-side session keeps its channel one
 * level down once it has one (`_channel`), and that is the one returned.
 */
export function channelAt(internals: ConnectionInternals, recipient: number): object | undefined {
  let ch: unknown;
  try {
    ch = internals._chanMgr?.get(recipient);
  } catch {
    return undefined;
  }
  if (typeof ch !== 'object' || ch === null) return undefined;
  return (ch as { _channel?: object })._channel ?? ch;
}

/** The receive window left of local channel `recipient`, or undefined if it has none (ssh2 decides). */
function windowOf(internals: ConnectionInternals, recipient: number): number | undefined {
  const w = (channelAt(internals, recipient) as WindowedChannel | undefined)?.incoming?.window;
  return typeof w === 'number' ? w : undefined;
}

/**
 * Wraps the connection's channel data handlers: data larger than its
 * channel's window calls `overrun` once and is dropped, as is everything the
 * peer sends on that connection afterwards. Returns false (nothing enforced)
 * if this ssh2 has no handler table. Call it on a Client after `connect()`.
 */
export function enforceChannelWindows(conn: Connection | Client, overrun: (sent: number, window: number) => void): boolean {
  const internals = conn as unknown as ConnectionInternals;
  const handlers = internals._protocol?._handlers;
  if (!handlers) return false;
  let broken = false;
  let wrapped = 0;
  for (const name of ['CHANNEL_DATA', 'CHANNEL_EXTENDED_DATA']) {
    const original = handlers[name];
    if (typeof original !== 'function') continue;
    const handle = original as DataHandler;
    // Fixed parameters, no rest array: this runs for every data packet (issue 13).
    handlers[name] = (self: unknown, recipient: number, data: Buffer, type?: unknown): unknown => {
      if (broken) return undefined;
      const window = windowOf(internals, recipient);
      if (window !== undefined && data.length > window) {
        broken = true;
        overrun(data.length, window);
        return undefined;
      }
      return handle(self, recipient, data, type);
    };
    wrapped++;
  }
  return wrapped > 0;
}
