/**
 * Ties channels to their slots in the connection's budget. ssh2 keeps a
 * session channel the client closes before starting it (no exec, shell or
 * subsystem) in its channel table for the rest of the connection and never
 * answers that CLOSE: a client opening and closing sessions in a loop would
 * grow the portal. We free that entry and answer the CLOSE ourselves.
 */
import type { Connection, Session } from 'ssh2';
import type { Slot } from './limits.js';

interface ChannelTable { get(id: number): unknown; remove(id: number): void }
interface ServerInternals { _chanMgr: ChannelTable; _protocol: { channelClose(chan: number): void } }
interface SessionInternals { _channel?: unknown; _chanInfo?: { incoming?: { id?: unknown }; outgoing?: { id?: unknown } } }

function internals(conn: unknown): ServerInternals | undefined {
  if (typeof conn !== 'object' || conn === null) return undefined;
  const c = conn as Record<string, unknown>;
  const mgr = c._chanMgr as Record<string, unknown> | undefined;
  const proto = c._protocol as Record<string, unknown> | undefined;
  const ok = typeof mgr?.get === 'function' && typeof mgr.remove === 'function' && typeof proto?.channelClose === 'function';
  return ok ? (conn as ServerInternals) : undefined;
}

/** Frees ssh2's entry of a session closed before it started; false when ssh2 does not let us (the slot then stays held). */
function freeUnstarted(conn: Connection, session: Session): boolean {
  const s = session as unknown as SessionInternals;
  if (s._channel !== undefined) return true;
  const ssh = internals(conn);
  const local = s._chanInfo?.incoming?.id;
  const remote = s._chanInfo?.outgoing?.id;
  if (!ssh || typeof local !== 'number' || typeof remote !== 'number') return false;
  if (ssh._chanMgr.get(local) !== session) return true;
  ssh._chanMgr.remove(local);
  try {
    ssh._protocol.channelClose(remote);
  } catch {
    // the connection is going away: nothing to answer
  }
  return true;
}

/** Releases `slot` when the session channel closes (a started one is freed by ssh2 itself). */
export function holdSession(conn: Connection, session: Session, slot: Slot): void {
  // A plain listener for the one 'close' (a `once` wrapper is kept for the channel's life); both calls are idempotent.
  session.on('close', () => {
    if (freeUnstarted(conn, session)) slot.release();
  });
}

/** Wraps a channel's accept so its slot is released when the channel closes (or was never opened). */
export function holding<T extends { on(event: 'close', fn: () => void): unknown }>(accept: () => T | undefined, slot: Slot): () => T | undefined {
  return () => {
    const ch = accept();
    if (ch) ch.on('close', () => slot.release());
    else slot.release();
    return ch;
  };
}
