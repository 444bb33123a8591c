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
 * Adds `entry` to `list` if the column's JSON still fits; returns the new
 * JSON text, or null when it does not fit (the list is left unchanged).
 */
export function appendCommand(list: string[], entry: string): string | null {
  const text = JSON.stringify([...list, entry]);
  if (text.length > MAX_COMMANDS_JSON_CHARS) return null;
  list.push(entry);
  return text;
}

/** The column text of `entries` (a restored backup): as many as fit, null when none. */
export function commandsText(entries: readonly string[]): string | null {
  const list: string[] = [];
  let text: string | null = null;
  for (const e of entries) {
    const next = appendCommand(list, truncateCommand(e));
    if (next === null) break;
    text = next;
  }
  return text;
}
