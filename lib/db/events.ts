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

/**
 * Cuts an entity to the column's width, marked with `…` (never inside a
 * surrogate pair). Entities can be client-chosen (the login name of a failed
 * login, the host a login named): MySQL refuses a longer value, and the event
 * would be lost, so an attacker's long names would leave no audit trail.
 */
export function fitEntity(entity: string): string {
  if (entity.length <= MAX_ENTITY_CHARS) return entity;
  const cut = entity.slice(0, MAX_ENTITY_CHARS - 1);
  const last = cut.charCodeAt(cut.length - 1);
  return `${last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut}…`;
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
    args: e.args ? JSON.stringify(redactArgs(e.args)) : null,
  }, e.checkpoint ?? false);
}
