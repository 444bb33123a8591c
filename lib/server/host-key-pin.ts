/**
 * Trust on first use of a target's host key, race-safe across nodes: the
 * first key a node sees is pinned by a conditional update, and every node —
 * including one that lost the race — checks the presented key against the
 * key the database now holds.
 */
import { fingerprintOf } from '../crypto/ssh-keys.js';
import { HostKeyMismatchError } from '../errors.js';

/** What the check needs of a host row. */
export interface PinnedHost {
  id: number;
  name: string;
  /** The pinned key (base64 of the wire format), null before first use. */
  hostKey: string | null;
}

/** Pins `blob` when the host has no key yet; resolves to the key now pinned (ours, or another node's). */
export type PinQuery = (hostId: number, blob: string) => Promise<string | null>;

/**
 * Checks a presented key (`type base64` or bare base64). Resolves `known` when
 * it matches the stored key, `pinned` when it is the key now pinned; throws
 * {@link HostKeyMismatchError} (naming both fingerprints) otherwise.
 */
export async function checkHostKey(host: PinnedHost, presented: string, pin: PinQuery): Promise<'known' | 'pinned'> {
  const blob = presented.split(' ')[1] ?? presented;
  const pinned = host.hostKey ?? (await pin(host.id, blob));
  if (pinned === blob) return host.hostKey === null ? 'pinned' : 'known';
  throw new HostKeyMismatchError(host.name, fingerprintOf(pinned ?? ''), fingerprintOf(blob));
}
