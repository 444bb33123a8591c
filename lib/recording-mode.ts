/**
 * The one vocabulary of session recording modes, shared by the stored host
 * column, the admin shell, backups and the relay. It sits beside
 * `errors.ts` at the bottom of the dependency graph because `db` (which stores
 * it) may not import a feature folder and `proxy` (which obeys it) may not
 * import `db`.
 */
import { InvalidArgumentError } from './errors.js';

/** Recording modes of a host, in the order they are documented. */
const recordingModes = ['everything', 'input', 'disabled'] as const;

/** What is recorded of a host's PTY sessions: output and input, input only, or nothing. */
export type RecordingMode = (typeof recordingModes)[number];

/** True when `text` names a recording mode. Pure. */
export function isRecordingMode(text: string): text is RecordingMode {
  return recordingModes.some((m) => m === text);
}

/**
 * Checks a recording mode (a `--logging` value, a backup field, a stored
 * column). An unknown value is an error, never a silent `everything`. Pure.
 */
export function parseRecordingMode(text: string): RecordingMode {
  if (isRecordingMode(text)) return text;
  throw new InvalidArgumentError(`invalid logging mode '${text}': expected ${recordingModes.slice(0, -1).join(', ')} or ${recordingModes.at(-1) ?? ''}`);
}
