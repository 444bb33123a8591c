import { CommandList, describeStart, truncateCommand, type CommandStart } from '../db/session-commands.js';
import { MAX_REFUSAL_EVENTS } from '../proxy/policy-gate.js';
import type { RelayEvent } from '../proxy/types.js';

type ChannelStarted = Extract<RelayEvent, { type: 'channel-started' }>;

/** Where a {@link CommandLog} writes. */
export interface CommandLogSinks {
  /** Replaces the session row's command list (JSON text). */
  saveRow(json: string): Promise<void>;
  /** Writes one audit event (`session`/`exec|subsystem|shell`). */
  event(action: CommandStart['kind'], args: Record<string, unknown>): void;
  /** Reports a failed row update (never thrown at the client). */
  failed(err: unknown): void;
}

function startOf(e: ChannelStarted): CommandStart {
  switch (e.kind) {
    case 'exec': return { kind: 'exec', command: e.command ?? '' };
    case 'subsystem': return { kind: 'subsystem', name: e.subsystem ?? '' };
    case 'shell': return { kind: 'shell' };
    default: {
      const never: never = e.kind;
      return never;
    }
  }
}

/** The event arguments of a start: the command or subsystem as sent, truncated. */
function eventArgs(s: CommandStart, pty: boolean): Record<string, unknown> {
  switch (s.kind) {
    case 'exec': return { command: truncateCommand(s.command), pty };
    case 'subsystem': return { subsystem: truncateCommand(s.name) };
    case 'shell': return { pty };
    default: {
      const never: never = s;
      return never;
    }
  }
}

/**
 * Records what one relayed connection runs: an event per channel start, and
 * the session row's command list while it fits (row updates are serialized,
 * so the last write holds every entry).
 */
export class CommandLog {
  #list = new CommandList();
  #full = false;
  /** Starts the session policy refused so far: past MAX_REFUSAL_EVENTS they are no longer events (a refused start costs the client nothing). */
  #refused = 0;
  #writes: Promise<void> = Promise.resolve();
  #sinks: CommandLogSinks;

  constructor(sinks: CommandLogSinks) {
    this.#sinks = sinks;
  }

  /** Records one channel start. */
  add(e: ChannelStarted): void {
    const start = startOf(e);
    if (e.refused === undefined) this.#sinks.event(start.kind, eventArgs(start, e.pty));
    else if (++this.#refused <= MAX_REFUSAL_EVENTS) this.#sinks.event(start.kind, { ...eventArgs(start, e.pty), refused: e.refused });
    if (this.#full) return;
    const entry = describeStart(start);
    if (!this.#list.add(e.refused === undefined ? entry : `refused ${entry}`)) { this.#full = true; return; }
    const json = this.#list.json();
    this.#writes = this.#writes.then(() => this.#sinks.saveRow(json)).catch((err: unknown) => this.#sinks.failed(err));
  }

  /** Resolves once every row update was written (or failed). */
  settled(): Promise<void> {
    return this.#writes;
  }
}
