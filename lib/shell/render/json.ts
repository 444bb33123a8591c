/** Dates as ISO 8601 strings (what every JSON output of the shell shows). */
function isoDates(_key: string, v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

/** `value` as JSON text, indented by two spaces unless `compact`; undefined (or a function) when it has no JSON form. */
function stringify(value: unknown, compact: boolean): string | undefined {
  // undefined (or a function) has no JSON form: JSON.stringify then returns undefined, whatever its typings say.
  const text: string | undefined = JSON.stringify(value, isoDates, compact ? undefined : 2);
  return text;
}

/**
 * The admin shell's JSON as one text: dates as ISO 8601 strings, two-space
 * indentation unless `compact`. The shell writes it in pieces
 * ({@link jsonChunks}, whose pieces joined are this text).
 */
export function renderJson(value: unknown, compact = false): string {
  return `${stringify(value, compact) ?? 'null'}\n`;
}

/** Arrays longer than this are written element by element (and objects holding one, member by member). */
const LONG = 32;

/** A plain object (not a Date, whose toJSON decides, nor a boxed string): JSON.stringify writes its own members. */
function isPlainObject(v: unknown): v is Readonly<Record<string, unknown>> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && !('toJSON' in v);
}

/**
 * A list written as it is produced (a backup's events and sessions, read a
 * page at a time while the client takes the text): written as an array, in
 * pieces, each element once it arrives.
 */
export type Streamed<T> = AsyncIterable<T>;

/** Whether `v` is a {@link Streamed} list (an async iterable that is no array). */
function isStreamed(v: unknown): v is Streamed<unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Symbol.asyncIterator in v;
}

/** What is written in pieces: an array, a streamed list, or a plain object. */
type Container = unknown[] | Streamed<unknown> | Readonly<Record<string, unknown>>;

/**
 * Whether `v`, nested `level` deep, is written in pieces: the document and
 * its own members always (a backup's lists; each element of theirs holding a
 * long array, such as a group of 10,000 hosts, then is too), streamed lists,
 * and long arrays and objects holding one at any depth.
 */
function inPieces(v: unknown, level: number): v is Container {
  // An array with a toJSON of its own (or its class's) is whatever that makes of it: written whole.
  if (Array.isArray(v)) return !('toJSON' in v) && (level < 2 || v.length > LONG);
  if (isStreamed(v)) return true;
  return isPlainObject(v) && (level < 2 || Object.values(v).some((x) => (Array.isArray(x) && x.length > LONG) || isStreamed(x)));
}

/** A container's members as [key, value] pairs (a key of null for an element), a streamed list's as they arrive. */
async function* entriesOf(value: Container): AsyncGenerator<[string | null, unknown]> {
  if (isStreamed(value)) {
    for await (const v of value) yield [null, v];
  } else if (Array.isArray(value)) {
    // Indexes, not for…of: a hole is an element (null), as JSON.stringify writes it.
    for (let i = 0; i < value.length; i++) yield [null, value[i]];
  } else {
    yield* Object.entries(value);
  }
}

/** JSON text nested `level` deep: in indented output each line break gets two more spaces per level. */
function nestedText(text: string, level: number, compact: boolean): string {
  // JSON strings hold no raw line feed: every line break is the layout's.
  return compact || level === 0 ? text : text.replaceAll('\n', `\n${'  '.repeat(level)}`);
}

/**
 * The text of `value` nested `level` deep, in pieces (see {@link inPieces}):
 * arrays element by element, objects member by member, each element or
 * member whole unless it is in pieces too.
 */
async function* containerChunks(value: Container, level: number, compact: boolean): AsyncGenerator<string> {
  const [open, close] = isPlainObject(value) ? ['{', '}'] : ['[', ']'];
  const indent = (n: number): string => (compact ? '' : `\n${'  '.repeat(n)}`);
  let first = true;
  for await (const [key, v] of entriesOf(value)) {
    const opening = `${first ? open : ','}${indent(level + 1)}${key === null ? '' : `${JSON.stringify(key)}:${compact ? '' : ' '}`}`;
    if (inPieces(v, level + 1)) {
      yield opening;
      yield* containerChunks(v, level + 1, compact);
    } else {
      // Without a JSON form (undefined, a function), a member is left out and an element is null, as JSON.stringify does.
      const text = stringify(v, compact) ?? (key === null ? 'null' : undefined);
      if (text === undefined) continue;
      yield `${opening}${nestedText(text, level + 1, compact)}`;
    }
    first = false;
  }
  yield first ? `${open}${close}` : `${indent(level)}${close}`;
}

/**
 * The text of {@link renderJson}(`value`, `compact`) in pieces, for a value
 * too large to hold as one string or to write while the event loop waits
 * (`config backup`, `inspect`): the document's lists element by element, and
 * arrays of more than 32 elements (and objects holding one) at any depth, so
 * that a caller can pause between pieces; {@link Streamed} lists element by
 * element as they arrive (a backup's history, never held whole). The pieces
 * joined are renderJson's output, a streamed list written as the array of its
 * elements (for data: a toJSON that looks at its key would be handed no key
 * here).
 */
export async function* jsonChunks(value: unknown, compact = false): AsyncGenerator<string> {
  if (inPieces(value, 0)) yield* containerChunks(value, 0, compact);
  else yield stringify(value, compact) ?? 'null';
  yield '\n';
}
