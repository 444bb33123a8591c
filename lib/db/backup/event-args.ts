/**
 * An event's arguments in a backup: sshportal writes them as an object (its
 * ArgsMap), a base64 of the JSON (the Go []byte column) is read too, and text
 * that is neither is kept as is. They are stored as JSON text and parsed and
 * serialized again by `config backup` and `event inspect`, whose recursion a
 * deeply nested value overflows (a 20,000-deep array restored, then both
 * failed; a 5,000-deep object failed the restore itself): they are held to
 * the depth and size of what the portal writes.
 */
import { MAX_ARGS_BYTES } from '../events.js';
import { invalid, isBase64, type Reader } from './narrow.js';

/** Deepest nesting of arrays and objects kept: the portal's own arguments are a few levels deep. */
export const MAX_ARGS_DEPTH = 64;

/** Whether `value` nests arrays or objects deeper than `limit`; walked without recursion. */
export function nestsDeeper(value: unknown, limit: number): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 1 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (typeof top.v !== 'object' || top.v === null) continue;
    if (top.depth > limit) return true;
    for (const child of Object.values(top.v)) stack.push({ v: child, depth: top.depth + 1 });
  }
  return false;
}

/** The JSON a base64 string decodes to, or undefined when it is not base64 of JSON (then it is plain text). */
function decodedJson(raw: string): { text: string; value: unknown } | undefined {
  if (!isBase64(raw)) return undefined;
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** The `args` column of an event (null when it has none); refuses what the portal could not have written. */
export function readArgs(r: Reader): string | null {
  const raw = r.value.Args;
  if (raw === undefined || raw === null) return null;
  const path = `${r.path}.Args`;
  const tooLong = invalid(path, `longer than ${MAX_ARGS_BYTES} bytes of JSON`);
  let text: string | undefined;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    // Sized before decoding (base64 takes 4 characters for 3 bytes): what is decoded and walked stays small.
    if (raw.length > Math.ceil(MAX_ARGS_BYTES / 3) * 4) throw tooLong;
    const decoded = decodedJson(raw);
    text = decoded?.text ?? raw;
    value = decoded?.value;
  }
  if (nestsDeeper(value, MAX_ARGS_DEPTH)) throw invalid(path, `nested deeper than ${MAX_ARGS_DEPTH} levels`);
  text ??= JSON.stringify(raw);
  if (Buffer.byteLength(text) > MAX_ARGS_BYTES) throw tooLong;
  return text;
}
