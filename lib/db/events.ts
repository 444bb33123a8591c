import type { EntityManager } from 'typeorm';
import { appendEvent } from './chain/append.js';

/** Argument names whose values are never written to the audit trail. */
const secretArgs = /pass|secret|token|priv|key_data|private/i;

/** What one audit event says. */
export interface EventInput {
  authorId: number | null;
  domain: string;
  action: string;
  entity?: string;
  args?: Record<string, unknown>;
  /** Sign a checkpoint of the chain head right after this event (session close does). */
  checkpoint?: boolean;
}

/** Width of the `entity` column, in characters. */
export const MAX_ENTITY_CHARS = 255;
/** Bytes of an event's `args` JSON (MySQL's TEXT holds 65,535). */
export const MAX_ARGS_BYTES = 60_000;
/** In args over {@link MAX_ARGS_BYTES}, each string is cut to this many characters. */
export const MAX_ARG_CHARS = 1024;

/** Cuts `text` to `max` characters, marked with `…` (never inside a surrogate pair). */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  return `${last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut}…`;
}

/**
 * Cuts an entity to the column's width. Entities can be client-chosen (the
 * login name of a failed login, the host a login named): MySQL refuses a
 * longer value and the event would be lost, so an attacker's long names
 * would leave no audit trail.
 */
export function fitEntity(entity: string): string {
  return cutText(entity, MAX_ENTITY_CHARS);
}

/**
 * The args JSON, redacted, and small enough for its column: client-chosen
 * strings (a forward's destination) can be long, and JSON escapes control
 * characters six-fold. Oversized, each string is cut to {@link MAX_ARG_CHARS};
 * still oversized, only the argument names are kept.
 */
export function argsJson(args: Record<string, unknown>): string {
  const redacted = redactArgs(args);
  const json = JSON.stringify(redacted);
  if (Buffer.byteLength(json) <= MAX_ARGS_BYTES) return json;
  const cut = Object.fromEntries(Object.entries(redacted).map(([k, v]) => [k, typeof v === 'string' ? cutText(v, MAX_ARG_CHARS) : v]));
  const second = JSON.stringify({ ...cut, truncated: true });
  if (Buffer.byteLength(second) <= MAX_ARGS_BYTES) return second;
  return JSON.stringify({ truncated: true, names: Object.keys(redacted).map((k) => cutText(k, 64)).slice(0, 64) });
}

/** Copies `args` with secret-looking values replaced by `[redacted]`. */
export function redactArgs(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) out[k] = secretArgs.test(k) && v !== undefined && v !== '' ? '[redacted]' : v;
  return out;
}

/** Writes one audit event at the end of the hash chain (inside the caller's transaction when given its manager). */
export function recordEvent(m: EntityManager, e: EventInput): Promise<void> {
  return appendEvent(m, {
    authorId: e.authorId,
    domain: e.domain,
    action: e.action,
    entity: fitEntity(e.entity ?? ''),
    args: e.args ? argsJson(e.args) : null,
  }, e.checkpoint ?? false);
}
