/**
 * What live sessions say, in one place (pure): the owner's notices, the
 * viewer's lines, the termination message.
 */
import type { AttachMode } from '../cluster/index.js';

/** The owner's one line (and recording marker) when someone starts or stops watching or joining. */
export function viewerNotice(viewer: string, mode: AttachMode, what: 'start' | 'stop'): string {
  switch (mode) {
    case 'watch':
      return what === 'start' ? `${viewer} started watching this session` : `${viewer} stopped watching this session`;
    case 'join':
      return what === 'start' ? `${viewer} joined this session` : `${viewer} left this session`;
    default: {
      const never: never = mode;
      return never;
    }
  }
}

/** The one warning line of a viewer whose terminal is smaller than the owner's. */
export function sizeWarning(viewer: { cols: number; rows: number }, owner: { cols: number; rows: number }): string {
  return `warning: your terminal (${viewer.cols}x${viewer.rows}) is smaller than the session's (${owner.cols}x${owner.rows}); the view may be garbled`;
}

/** What the owner sees (and the session row keeps) when an admin stops the session. */
export function terminationMessage(by: string, reason: string | null): string {
  return reason ? `session terminated by ${by}: ${reason}` : `session terminated by ${by}`;
}

/** The session id of a viewer login's `ID` part; null when it is not one. */
export function parseSessionId(text: string): number | null {
  if (!/^[1-9][0-9]{0,15}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

/** Why a session cannot be watched: it has no PTY session channel (here). */
export function noPtyMessage(sessionId: number, node: string): string {
  return `session ${sessionId} has no live PTY session channel on node ${node}: only PTY sessions can be watched or joined`;
}

/** Why a session cannot be watched: as many viewers as it takes are on it. */
export function tooManyViewersMessage(sessionId: number, max: number): string {
  return `session ${sessionId} has ${max} viewers already: no one else can watch or join it until one leaves`;
}
