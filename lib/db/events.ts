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
    entity: e.entity ?? '',
    args: e.args ? JSON.stringify(redactArgs(e.args)) : null,
  }, e.checkpoint ?? false);
}
