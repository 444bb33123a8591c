/**
 * What a revocation sweep decides for one connection after its re-check
 * (pure), and the hook runs of one sweep: one run per distinct input of
 * `--acl-check-cmd`, shared by every connection that asks it, a few at a time.
 */
import type { AccessDecision, AccessRequest } from '../acl/decide.js';
import type { AclDecision } from '../acl/evaluate.js';
import type { Revalidation } from '../acl/revalidate.js';
import type { Logger } from '../log.js';

/** Hook runs one sweep has under way at once. */
export const HOOK_CONCURRENCY = 4;

/** The hook's answer and the input it answered (its {@link hookKey}). */
export interface HookAnswer {
  key: string;
  decision: AccessDecision;
}

const groupList = (gs: readonly { id: number; name: string }[]): string[] => gs.map((g) => `${g.id}:${g.name}`).sort();

/** Everything the hook is told, in a stable form (relation order may differ between reads). */
export function hookKey(byAcl: AclDecision, req: AccessRequest): string {
  const { user: u, host: h } = req;
  return JSON.stringify([byAcl.action, u.id, u.name, u.email, groupList(u.groups), h.id, h.name, h.addr, h.user, groupList(h.groups)]);
}

/** What to do with a connection after its re-check. */
export type Verdict =
  | { kind: 'keep' }
  | { kind: 'end'; reason: string }
  /** The hook must answer `request` first (`key` is its input's {@link hookKey}). */
  | { kind: 'ask'; key: string; request: AccessRequest };

/** The verdict of an access decision on `req`. */
export function accessVerdict(req: AccessRequest, decision: AclDecision | AccessDecision): Verdict {
  return decision.action === 'allow'
    ? { kind: 'keep' }
    : { kind: 'end', reason: `access to host '${req.host.name}' no longer allowed (${decision.reason})` };
}

/**
 * The verdict of re-check `r` (pure): `hooked` when `--acl-check-cmd` is set,
 * `known` the hook's last answer for the connection (asked again only for
 * another input).
 */
export function verdictOf(r: Revalidation, hooked: boolean, known: HookAnswer | undefined): Verdict {
  switch (r.action) {
    case 'keep':
      return { kind: 'keep' };
    case 'end':
      return { kind: 'end', reason: r.reason };
    case 'access': {
      if (!hooked) return accessVerdict(r.request, r.byAcl);
      const key = hookKey(r.byAcl, r.request);
      return known?.key === key ? accessVerdict(r.request, known.decision) : { kind: 'ask', key, request: r.request };
    }
    default: {
      const never: never = r;
      return never;
    }
  }
}

/**
 * One sweep's hook runs: one pending answer per distinct input, shared by
 * every connection that asks it, at most {@link HOOK_CONCURRENCY} under way.
 * An answer is null when the hook could not be asked (logged once per input).
 */
export class HookRuns {
  readonly #ask: (req: AccessRequest) => Promise<AccessDecision>;
  readonly #log: Logger;
  readonly #pending = new Map<string, Promise<AccessDecision | null>>();
  /** Runs waiting for a slot. */
  readonly #queue: (() => void)[] = [];
  #active = 0;

  constructor(ask: (req: AccessRequest) => Promise<AccessDecision>, log: Logger) {
    this.#ask = ask;
    this.#log = log;
  }

  /** The hook's answer to the input `key` (asked about `request` once); never rejects. */
  answer(key: string, request: AccessRequest): Promise<AccessDecision | null> {
    let answer = this.#pending.get(key);
    if (!answer) {
      answer = this.#run(request);
      this.#pending.set(key, answer);
    }
    return answer;
  }

  async #run(request: AccessRequest): Promise<AccessDecision | null> {
    if (this.#active < HOOK_CONCURRENCY) this.#active++;
    // A finished run hands its slot over.
    else await new Promise<void>((resolve) => this.#queue.push(resolve));
    try {
      return await this.#ask(request);
    } catch (err) {
      this.#log.warn('access re-check: acl-check-cmd could not be asked, connections kept', { err, user: request.user.name, host: request.host.name });
      return null;
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
