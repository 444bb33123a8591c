/**
 * The boundary between the portal's server side and the relay engine. Plain
 * data and callbacks only: lib/proxy knows nothing of the database.
 */
import type { Duplex } from 'node:stream';
import type { PolicyRequest, PolicyVerdict } from '../acl/policy.js';
import type { Logger } from '../log.js';
import type { ConnectionLimits } from './limits.js';
import type { StallAccount } from './stall-budget.js';
import type { RecordingMode } from '../recording-mode.js';
import type { RecordingSeal } from '../recording/seal.js';
import type { TunnelKind } from '../recording/tunnel-log.js';

/** One hop of the chain (the last one is the target). */
export interface HopTarget {
  /** Host name as the portal knows it (used in messages). */
  name: string;
  host: string;
  port: number;
  username: string;
  /** OpenSSH or PEM private key text. */
  privateKey?: string;
  passphrase?: string;
  password?: string;
  /**
   * Verifies the presented host key (OpenSSH `type base64` form). Resolve to
   * accept (the caller pins it on first use); throw HostKeyMismatchError (or
   * any AppError) to refuse.
   */
  verifyHostKey(key: string): Promise<void>;
  /**
   * For a reverse-tunnel host: opens the byte stream to its SSH server (a
   * channel on its connector) instead of dialing `host:port`. Throw an
   * AppError to refuse.
   */
  open?(): Promise<OpenedSocket>;
}

/** A stream {@link HopTarget.open} returned. */
export interface OpenedSocket {
  stream: Duplex;
  /** Why the connection was lost, when the stream's far end knows (e.g. its connector disconnected). */
  lost(): string | undefined;
}


/** Where and how a relayed connection is recorded. */
export interface RecordingPlan {
  mode: RecordingMode;
  /** Directory of recordings (`--logs-location`). */
  dir: string;
  /** File name prefix, unique per relayed connection (e.g. `session-42`). */
  baseName: string;
  /** Who connected (written into tunnel logs and cast titles). */
  user?: string;
  /** The target's name (written into tunnel logs and cast titles). */
  host?: string;
}

/** Events the caller may audit. */
export type RelayEvent =
  | { type: 'upstream-connected'; hops: string[]; durationMs: number }
  | { type: 'upstream-failed'; error: string; code: string }
  | { type: 'channel-started'; kind: 'shell' | 'exec' | 'subsystem'; command?: string; subsystem?: string; pty: boolean; refused?: string }
  | { type: 'recording-started'; path: string }
  | { type: 'recording-finished'; path: string; droppedBytes: number; failed: boolean }
  | { type: 'forward-opened'; kind: TunnelKind; from: string; to: string }
  | { type: 'forward-closed'; kind: TunnelKind; from: string; to: string; bytesUp: number; bytesDown: number; durationMs: number }
  | { type: 'forward-refused'; kind: TunnelKind; to: string; error: string }
  | { type: 'remote-forward'; action: 'bound' | 'cancelled' | 'refused'; address: string; port: number; error?: string }
  | { type: 'idle-timeout'; idleMs: number }
  /** A channel whose reader stopped was closed by the user's or node's stall budget (stall-budget.ts). */
  | { type: 'channel-cut'; channel: string; heldBytes: number; stalledMs: number }
  | { type: 'policy-refused'; what: string; reason: string };

/** Summary given to {@link RelayPlan.onClose}. */
export interface RelaySummary {
  /** Why the connection ended abnormally (upstream failure, idle timeout…). */
  error?: string;
  /** Paths of the recording files written (casts and tunnel log). */
  recordings: string[];
  /** Their final lengths and hashes (the session row and its close event keep them). */
  seals: RecordingSeal[];
  bytesUp: number;
  bytesDown: number;
}

/** What {@link RelayOptions.prepare} returns once access is granted. */
export interface RelayPlan {
  /** First hop first, final target last (length ≥ 1). */
  chain: readonly HopTarget[];
  recording: RecordingPlan;
  /**
   * The session policy (what the decisive ACL allows inside the session);
   * absent = everything allowed. Asked for every shell, exec, subsystem,
   * forward, agent and X11 request.
   */
  check?(r: PolicyRequest): PolicyVerdict;
  onEvent?(e: RelayEvent): void;
  /**
   * Called once the chain was dialed, or failed to be (it is dialed once per
   * connection): what only the dial needed (the hops' keys and passwords) may
   * be dropped.
   */
  dialed?(): void;
  /** Makes a PTY session channel watchable (lib/live); absent = not watchable. */
  live?(owner: LivePtyOwner): LivePtyTap;
  /** Called exactly once, after every recording is flushed. */
  onClose(summary: RelaySummary): void | Promise<void>;
}

/** Options of attachRelay. */
export interface RelayOptions {
  log: Logger;
  /**
   * Called once, on the first channel or forward request, before anything is
   * relayed or buffered beyond the connection's limits. Does ACL
   * checks and opens the session row. Throw an AppError to refuse: the
   * refusal reaches the client as `error: <msg>` (exit status 1) on session
   * channels or as a channel-open failure, and the connection then closes.
   * If it throws, no plan exists and `onClose` is not called.
   */
  prepare(): Promise<RelayPlan>;
  /**
   * Called before every channel or global request after the first (which
   * `prepare` checks): access may have been revoked since. Reject with an
   * AppError to refuse it; the connection then closes.
   */
  authorize?(): Promise<void>;
  /** Close when no traffic flowed in either direction for this long; 0 = off. */
  idleTimeoutMs: number;
  /** What the client may make the portal hold (default {@link defaultLimits}). */
  limits?: ConnectionLimits;
  /** Where the connection's stalled channels count against its user's budget (absent: not bounded beyond each channel's caps). */
  stalls?: StallAccount;
  /** Milliseconds clock (tests). */
  now?: () => number;
}

/** Byte counters of a relayed connection. */
export interface RelayCounters {
  /** Bytes client → target. */
  readonly bytesUp: number;
  /** Bytes target → client. */
  readonly bytesDown: number;
}

/** A relayed connection, as seen by its owner. */
export interface RelayHandle extends RelayCounters {
  /** Ends the connection (shutdown, admin kill) with an optional message to open sessions. */
  close(reason?: string, shown?: ReasonLine): void;
  /** Writes one line to the stderr of every open session, without ending anything (shutdown notices). */
  notify(line: string): void;
  /** Resolves once the connection closed and the plan's onClose returned. */
  readonly closed: Promise<void>;
}

/** A live PTY session channel as its viewers need it (lib/live): the owner's side. */
export interface LivePtyOwner {
  /** The owner's window size when the session started. */
  cols: number;
  rows: number;
  /** Writes to the target as if the owner typed it (joiners); false when the target is not reading. */
  input(data: Buffer): boolean;
  /** Shows the owner one line (on the session's stderr). */
  notify(line: string): void;
  /** Adds a marker to the session's recording. */
  marker(label: string): void;
}

/** What the relay feeds a live PTY session's viewers. */
export interface LivePtyTap {
  /** Output to the owner's terminal. */
  output(chunk: Buffer): void;
  /** The owner resized the window. */
  resize(cols: number, rows: number): void;
  /** The session channel closed. */
  close(): void;
}

/**
 * How an ending reason reaches the user's terminal: `error` prefixes it with
 * `error: ` like every portal failure; `as-is` prints it unchanged (the spec's
 * `session terminated by NAME: TEXT`).
 */
export type ReasonLine = 'error' | 'as-is';
