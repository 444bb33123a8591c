/**
 * What a relayed connection ran (exec commands, subsystems, shells), as kept
 * in the `sessions.commands` column: a JSON array of strings such as
 * `exec: rsync --server …`, `subsystem: sftp`, `shell`; one the session
 * policy refused reads `refused exec: …`. Pure: bounds only.
 *
 * Commands are stored as the client sent them (an audit trail), cut at
 * {@link MAX_COMMAND_CHARS}; they may hold secrets a user typed on the
 * command line, like the recordings.
 */

/** Longest command (or subsystem name) kept, in characters; longer ones end with `…`. */
export const MAX_COMMAND_CHARS = 1024;

/**
 * Longest JSON text of the column: every entry that fits is kept, later ones
 * live only in their events. 16,000 characters stay below MySQL's 64 KiB TEXT
 * even at 4 bytes per character.
 */
export const MAX_COMMANDS_JSON_CHARS = 16_000;

/** Cuts a command at {@link MAX_COMMAND_CHARS} characters (never inside a surrogate pair). */
export function truncateCommand(command: string): string {
  if (command.length <= MAX_COMMAND_CHARS) return command;
  const cut = command.slice(0, MAX_COMMAND_CHARS);
  const last = cut.charCodeAt(cut.length - 1);
  // A lone high surrogate would make the stored text invalid UTF-8.
  return `${last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut}…`;
}

/** How a channel start reads in the list. */
export type CommandStart =
  | { kind: 'shell' }
  | { kind: 'exec'; command: string }
  | { kind: 'subsystem'; name: string };

/** The list entry of a start (`exec: CMD`, `subsystem: NAME`, `shell`), truncated. */
export function describeStart(s: CommandStart): string {
  switch (s.kind) {
    case 'shell':
      return 'shell';
    case 'exec':
      return `exec: ${truncateCommand(s.command)}`;
    case 'subsystem':
      return `subsystem: ${truncateCommand(s.name)}`;
    default: {
      const never: never = s;
      return String(never);
    }
  }
}

/**
 * A session's command list, with the length of its JSON kept as entries are
 * added: measuring each addition by serializing the whole list again made a
 * restore quadratic (30 sessions of 6,000 empty commands held the event loop
 * 9.2 s). The live log still serializes the list once per entry to write the
 * row, bounded by {@link MAX_COMMANDS_JSON_CHARS}.
 */
export class CommandList {
  readonly #entries: string[] = [];
  /** `JSON.stringify(#entries).length`: the brackets, each entry's JSON and the commas between. */
  #chars = 2;

  /** Adds `entry` if the column's JSON still fits; false (the list unchanged) when it does not. */
  add(entry: string): boolean {
    const chars = this.#chars + JSON.stringify(entry).length + (this.#entries.length > 0 ? 1 : 0);
    if (chars > MAX_COMMANDS_JSON_CHARS) return false;
    this.#entries.push(entry);
    this.#chars = chars;
    return true;
  }

  /** The column's JSON text (`[]` when empty). */
  json(): string {
    return JSON.stringify(this.#entries);
  }

  get length(): number {
    return this.#entries.length;
  }
}

/** The column text of `entries` (a restored backup): as many as fit, as the live log keeps them; null when none. */
export function commandsText(entries: readonly string[]): string | null {
  const list = new CommandList();
  for (const e of entries) if (!list.add(truncateCommand(e))) break;
  return list.length > 0 ? list.json() : null;
}
