/**
 * Drops OpenSSH's host-key announcements (`hostkeys-00@openssh.com`) before
 * ssh2 acts on them.
 *
 * After login, sshd announces all its host keys so that a client can learn
 * new ones (OpenSSH's UpdateHostKeys). ssh2's client answers every
 * announcement on its own: it parses each key, asks the server to prove it
 * holds them (`hostkeys-prove-00@openssh.com`: sshd signs with every host key,
 * an RSA signature among them) and verifies each signature, only to emit an
 * event the portal never listens to. The portal pins the key it checked
 * during the key exchange (`host` pinning, `lib/db`); it learns keys no other
 * way. Profiled (issue 13): about a third of the signature checks of a relayed
 * `ssh host@portal true`, plus the key parsing and a round trip, on the portal
 * and on the target.
 *
 * The announcement is a global request without a reply (RFC 4254 §4; OpenSSH
 * sends want_reply = false). Dropping it is what a client that does not
 * implement the extension does; one that asks for a reply is refused, as an
 * unknown request would be. The handler table is ssh2's, shared by every
 * connection of the process (servers too: a client announcing host keys to
 * the portal is equally ignored).
 */
import { createRequire } from 'node:module';

const ANNOUNCEMENT = Buffer.from('hostkeys-00@openssh.com', 'latin1');
/** SSH_MSG_GLOBAL_REQUEST (RFC 4253 §12). */
const GLOBAL_REQUEST = 80;

/**
 * Whether a GLOBAL_REQUEST payload (message byte first) is a host-key
 * announcement; `wantReply` tells whether it asked for an answer. Pure.
 */
export function hostKeyAnnouncement(payload: Buffer): { wantReply: boolean } | undefined {
  const nameEnd = 5 + ANNOUNCEMENT.length;
  if (payload.length <= nameEnd || payload[0] !== GLOBAL_REQUEST) return undefined;
  if (payload.readUInt32BE(1) !== ANNOUNCEMENT.length) return undefined;
  if (payload.compare(ANNOUNCEMENT, 0, ANNOUNCEMENT.length, 5, nameEnd) !== 0) return undefined;
  return { wantReply: payload[nameEnd] !== 0 };
}

type Handler = (self: { requestFailure(): void }, payload: Buffer) => unknown;

const require = createRequire(import.meta.url);

/** Wraps ssh2's GLOBAL_REQUEST handler once; false if this ssh2 has no such table (nothing changed). */
function install(): boolean {
  const table: unknown = require('ssh2/lib/protocol/handlers.js');
  if (!Array.isArray(table)) return false;
  const handlers = table as unknown[];
  const original = handlers[GLOBAL_REQUEST];
  if (typeof original !== 'function') return false;
  if ((original as { dropsHostKeyAnnouncements?: boolean }).dropsHostKeyAnnouncements === true) return true;
  const handle = original as Handler;
  const wrapped: Handler & { dropsHostKeyAnnouncements?: boolean } = (self, payload) => {
    const announcement = hostKeyAnnouncement(payload);
    if (announcement === undefined) return handle(self, payload);
    if (announcement.wantReply) self.requestFailure();
    return undefined;
  };
  wrapped.dropsHostKeyAnnouncements = true;
  handlers[GLOBAL_REQUEST] = wrapped;
  return true;
}

/** Whether ssh2 in this process drops host-key announcements. */
export const hostKeyAnnouncementsDropped = install();
