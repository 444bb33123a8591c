/**
 * Per-connection and per-channel budgets: what one client may make the portal
 * hold at once (channels, sessions, buffered env requests, requests awaiting
 * an answer). Every path that accepts channels (relay, admin shell,
 * healthcheck, invite) counts through a {@link ConnectionBudget}; past a
 * limit the request is refused the protocol's way (channel open failure,
 * request failure) and the connection logs it once per limit.
 */
import type { Logger } from '../log.js';

/** The limits of one connection. */
export interface ConnectionLimits {
  /** Channels the client may hold open at once (sessions and forwards). */
  maxChannels: number;
  /** Session channels the client may hold open at once (OpenSSH's MaxSessions). */
  maxSessions: number;
  /** `env` requests kept per session channel. */
  maxEnvPerChannel: number;
  /** Bytes of names and values kept from `env` requests per session channel. */
  maxEnvBytesPerChannel: number;
  /** Requests awaiting an answer from the target or the access check (global requests). */
  maxPendingRequests: number;
  /** Want-reply global requests sent while one awaits its answer (theirs queue up behind it); past it the connection ends. */
  maxQueuedReplies: number;
}

/** Defaults of the fixed limits; `--max-channels` and `--max-sessions` override theirs. */
export const defaultLimits: ConnectionLimits = Object.freeze({
  maxChannels: 128,
  maxSessions: 10,
  maxEnvPerChannel: 64,
  maxEnvBytesPerChannel: 64 * 1024,
  maxPendingRequests: 16,
  maxQueuedReplies: 1024,
});

/** Which limit refused something. */
export type LimitName = 'channels' | 'sessions' | 'env' | 'pending requests' | 'queued replies';

/** What a client asks to hold. */
export type ChannelKind = 'session' | 'forward';

/** Counts held at once by one connection. */
export interface ChannelCounts { channels: number; sessions: number }

/** Pure: the limit a new channel would break, or null when it fits. */
export function channelRefusal(held: ChannelCounts, kind: ChannelKind, limits: ConnectionLimits): LimitName | null {
  if (held.channels >= limits.maxChannels) return 'channels';
  if (kind === 'session' && held.sessions >= limits.maxSessions) return 'sessions';
  return null;
}

/** The env requests a channel kept so far. */
export interface EnvUsage { count: number; bytes: number }

/** Pure: whether one more `env` entry of `key`/`value` fits the channel's budget. */
export function envFits(used: EnvUsage, key: string, value: string, limits: ConnectionLimits): boolean {
  const bytes = Buffer.byteLength(key) + Buffer.byteLength(value);
  return used.count < limits.maxEnvPerChannel && used.bytes + bytes <= limits.maxEnvBytesPerChannel;
}

/** A held slot; `release()` is idempotent. */
export interface Slot { release(): void }

/** Per-channel env budget handed to a session. */
export interface EnvBudget {
  /** Accounts for one `env` entry; false (already logged) when over the budget. */
  take(key: string, value: string): boolean;
}

/** The budget of one connection. */
export class ConnectionBudget {
  readonly limits: ConnectionLimits;
  #log: Logger;
  #held: ChannelCounts = { channels: 0, sessions: 0 };
  #pending = 0;
  /** The limits logged so far (made on the first refusal: most connections have none). */
  #logged: Set<LimitName> | undefined;

  constructor(limits: ConnectionLimits, log: Logger) {
    this.limits = limits;
    this.#log = log;
  }

  /** Logs a refusal, once per connection and limit (a flood must not flood the log). */
  refused(limit: LimitName): void {
    this.#logged ??= new Set();
    if (this.#logged.has(limit)) return;
    this.#logged.add(limit);
    this.#log.warn('connection limit reached, refusing', { limit, max: this.#max(limit) });
  }

  #max(limit: LimitName): number {
    switch (limit) {
      case 'channels': return this.limits.maxChannels;
      case 'sessions': return this.limits.maxSessions;
      case 'env': return this.limits.maxEnvPerChannel;
      case 'pending requests': return this.limits.maxPendingRequests;
      case 'queued replies': return this.limits.maxQueuedReplies;
      default: {
        const never: never = limit;
        return never;
      }
    }
  }

  /** Reserves a channel, or returns null (logged) when a limit is reached. */
  openChannel(kind: ChannelKind): Slot | null {
    const over = channelRefusal(this.#held, kind, this.limits);
    if (over) { this.refused(over); return null; }
    this.#held.channels++;
    if (kind === 'session') this.#held.sessions++;
    return new HeldSlot(this, kind);
  }

  /** Reserves a pending request, or returns null (logged) when too many await an answer. */
  beginRequest(): Slot | null {
    if (this.#pending >= this.limits.maxPendingRequests) { this.refused('pending requests'); return null; }
    this.#pending++;
    return new HeldSlot(this, 'request');
  }

  /** Requests awaiting an answer now. */
  get pending(): number { return this.#pending; }

  /** A fresh env budget for one session channel. */
  envBudget(): EnvBudget {
    return new ChannelEnvBudget(this);
  }

  /** Channels and sessions held now (tests, metrics). */
  get held(): Readonly<ChannelCounts> { return { ...this.#held }; }

  /** Frees what one slot held (called once per slot, by {@link HeldSlot}). */
  free(kind: SlotKind): void {
    if (kind === 'request') { this.#pending--; return; }
    this.#held.channels--;
    if (kind === 'session') this.#held.sessions--;
  }
}

/** What a slot holds. */
type SlotKind = ChannelKind | 'request';

/**
 * One held slot. A class, not closures: a relayed session holds its slot for
 * hours, and per-slot closures cost memory per session (issue 13).
 */
class HeldSlot implements Slot {
  #budget: ConnectionBudget | undefined;
  readonly #kind: SlotKind;

  constructor(budget: ConnectionBudget, kind: SlotKind) {
    this.#budget = budget;
    this.#kind = kind;
  }

  release(): void {
    const b = this.#budget;
    if (!b) return;
    this.#budget = undefined;
    b.free(this.#kind);
  }
}

/** The env budget of one session channel. */
class ChannelEnvBudget implements EnvBudget {
  readonly #budget: ConnectionBudget;
  readonly #used: EnvUsage = { count: 0, bytes: 0 };

  constructor(budget: ConnectionBudget) {
    this.#budget = budget;
  }

  take(key: string, value: string): boolean {
    const limits = this.#budget.limits;
    if (!envFits(this.#used, key, value, limits)) { this.#budget.refused('env'); return false; }
    this.#used.count++;
    this.#used.bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    return true;
  }
}

/** The limits of a connection from the configured ones (`--max-channels`, `--max-sessions`). */
export function limitsFrom(c: { maxChannels: number; maxSessions: number }): ConnectionLimits {
  return { ...defaultLimits, maxChannels: c.maxChannels, maxSessions: c.maxSessions };
}
