import type { Readable, Writable } from 'node:stream';
import type { ServerConfig } from '../config/server-config.js';
import type { Database } from '../db/database.js';
import type { User } from '../db/entities/user.js';
import type { Logger } from '../log.js';

/** What the admin shell needs from the rest of the portal. */
export interface ShellDeps {
  db: Database;
  log: Logger;
  config: ServerConfig;
  /** The portal's version string. */
  version: string;
  now?: () => Date;
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
}

/**
 * Runs one admin shell session: `command` (the SSH exec string) runs once;
 * null runs interactively (with a pty) or line by line from input (without).
 * Resolves with the exit status for the client; never rejects, never touches `process`.
 */
export async function runShell(deps: ShellDeps, who: ShellIdentity, io: ShellIo, command: string | null): Promise<number> {
  const words = (command ?? '').trim().split(/\s+/).filter(Boolean);
  switch (words[0]) {
    case 'version':
      io.output.write(`${deps.version}\n`);
      return 0;
    case 'info':
      io.output.write(`Debug mode (server): ${deps.config.debug}\nUser: ${who.user.name}\nVersion: ${deps.version}\n`);
      return 0;
    default:
      io.errorOutput.write(`error: unknown command '${words[0] ?? ''}'\n`);
      return 1;
  }
}
