import type { Readable, Writable } from 'node:stream';
import type { ClusterView } from '../cluster/index.js';
import type { ServerConfig } from '../config/server-config.js';
import type { Database } from '../db/database.js';
import type { User } from '../db/entities/user.js';
import type { LiveControl } from '../live/index.js';
import type { Logger } from '../log.js';
import type { Tunnels } from '../tunnel/index.js';
import type { OutputWait } from './drain.js';

/** What `host tunnel-invite` tells a connector about this portal. */
export interface PortalFacts {
  /** The portal's SSH host key, `algo base64`. */
  hostKey: string;
  /** The address connectors dial; null when the portal listens on every interface (the operator knows its name). */
  host: string | null;
  port: number;
}

/** What the admin shell needs from the rest of the portal. */
export interface ShellDeps {
  db: Database;
  log: Logger;
  config: ServerConfig;
  /** The portal's version string. */
  version: string;
  now?: () => Date;
  /** Node liveness and live session counters; absent outside a running portal. */
  cluster?: ClusterView;
  /** Reverse-tunnel connectors; absent outside a running portal. */
  tunnels?: Tunnels;
  /** The portal's address and host key; absent outside a running portal. */
  portal?: PortalFacts;
  /** Stop, viewer counts and recordings of live sessions; absent outside a running portal. */
  liveSessions?: LiveControl;
}

/** Who is running the shell. `user.roles` and `user.groups` are loaded. */
export interface ShellIdentity {
  user: User;
  remoteAddr: string;
}

/** Terminal size of an interactive session. */
export interface PtySize { cols: number; rows: number }

/** The streams of one shell session (an SSH channel, seen without ssh2). */
export interface ShellIo {
  input: Readable;
  output: Writable;
  errorOutput: Writable;
  /** Present when the client asked for a terminal. */
  pty: PtySize | null;
  /** Registers a listener for terminal resizes. */
  onResize(listener: (size: PtySize) => void): void;
  /** The channel itself, without end-of-line translation (byte streams: export, replay); default `output`. */
  rawOutput?: Writable;
}

/** The session's own streams, for commands that stream bytes rather than lines. */
export interface RawIo {
  /** Bytes as they are (no CR LF translation), with backpressure. */
  output: Writable;
  /** Keystrokes, when the command runs alone (`ssh -t admin@portal CMD`); null in the interactive shell and in scripts. */
  keys: Readable | null;
  pty: PtySize | null;
}

/** Where a command reads what the operator types or pipes (a key, a backup). */
export interface LineInput {
  /** The next line without its end of line, or null at the end of input; `prompt` shows on a terminal only. */
  readLine(prompt: string): Promise<string | null>;
  /**
   * A block of text: everything up to the end of input for a one-shot command,
   * the lines up to a blank line (or the end) in the line-by-line modes.
   */
  readBlock(prompt: string): Promise<string>;
}

/** State of one shell session that outlives a single command. */
export interface SessionState {
  /** Exit status of the last command run. */
  lastStatus: number;
  /** Set by `exit`: the status the session ends with. */
  exitStatus: number | null;
  /** Refusals this session wrote to the audit trail (bounded: see session-live.ts). */
  deniedEvents: number;
}

/** Everything a command needs: who runs it, where to write, what to read, the portal's services. */
export interface ShellContext {
  readonly deps: ShellDeps;
  readonly who: ShellIdentity;
  readonly input: LineInput;
  readonly session: SessionState;
  /** Whether the session has a terminal (prompts and colours may be shown). */
  readonly interactive: boolean;
  /** The raw streams (export, replay). */
  readonly raw: RawIo;
  /** Terminal width for help text. */
  columns(): number;
  now(): Date;
  out(text: string): void;
  err(text: string): void;
  /**
   * Resolves once the client took what {@link out} wrote (at once when little
   * is buffered), or 'gone' when it never will (its channel closed): a command
   * writing more than fits in memory writes a piece, then waits for this.
   */
  outputTaken(): Promise<OutputWait>;
  /** Whether the client's channel is gone (nothing written will be read): a long command may stop early. */
  clientGone(): boolean;
}
