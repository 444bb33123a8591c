/**
 * The one JSON renderer of the admin shell (`inspect`, `config backup`):
 * dates as ISO 8601 strings, two-space indentation unless `compact`.
 */
export function renderJson(value: unknown, compact = false): string {
  // undefined (or a function) has no JSON form, whatever the typings say.
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Date ? v.toISOString() : v), compact ? undefined : 2) as string | undefined;
  return `${text ?? 'null'}\n`;
}
