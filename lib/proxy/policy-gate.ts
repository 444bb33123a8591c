/**
 * The relay's enforcement point of the session policy (the decisive ACL's,
 * decided by lib/acl/policy.ts through {@link RelayPlan.check}): every
 * refusal is logged and reported as a `policy-refused` event; channel opens
 * are refused as "administratively prohibited" with the reason as the
 * description, which OpenSSH prints (`open failed: administratively
 * prohibited: acl 3 forbids …`).
 */
import type { Connection } from 'ssh2';
import type { PolicyRequest, PolicyVerdict } from '../acl/policy.js';
import type { Logger } from '../log.js';
import type { ChannelOpen } from '../ssh/channel-opens.js';
import type { GlobalRequest } from '../ssh/global-requests.js';
import type { RelayEvent, RelayPlan } from './types.js';

/** A forwarding channel the client opens (`-L`, `-D`, `-W`). */
export type ForwardOpen = Exclude<ChannelOpen, { type: 'session' }>;

/** The policy question of a forwarding channel. */
function forwardAsk(open: ForwardOpen): PolicyRequest {
  return open.type === 'direct-tcpip'
    ? { kind: 'local-forward', host: open.info.destIP, port: open.info.destPort }
    : { kind: 'local-forward-socket', path: open.socketPath };
}

/** The policy question of a global request (undefined: cancels are always allowed). */
export function globalAsk(r: GlobalRequest): PolicyRequest | undefined {
  switch (r.name) {
    case 'tcpip-forward': return { kind: 'remote-forward', host: r.address, port: r.port };
    case 'streamlocal-forward@openssh.com': return { kind: 'remote-forward-socket', path: r.socketPath };
    case 'cancel-tcpip-forward':
    case 'cancel-streamlocal-forward@openssh.com':
      return undefined;
    default: {
      const never: never = r;
      return never;
    }
  }
}

/**
 * Refusals reported as events per connection: a client repeating forbidden
 * requests costs one database row each, so past this only a log line (once) says so.
 */
export const MAX_REFUSAL_EVENTS = 64;

/** SSH_OPEN_ADMINISTRATIVELY_PROHIBITED (RFC 4254 §5.1). */
const ADMINISTRATIVELY_PROHIBITED = 1;

interface OpenFailWriter { _protocol: { channelOpenFail: (recipient: number, reason: number, desc: string) => void } }

function hasOpenFail(conn: unknown): conn is OpenFailWriter {
  const proto = typeof conn === 'object' && conn !== null ? (conn as Record<string, unknown>)._protocol : undefined;
  return typeof proto === 'object' && proto !== null && typeof (proto as Record<string, unknown>).channelOpenFail === 'function';
}

/**
 * Refuses a channel open as "administratively prohibited" with `description`.
 * ssh2's `reject()` always sends an empty description (and "connect failed"
 * once a channel was reserved), so the protocol writer is wrapped for the one
 * synchronous call; without it (a future ssh2) the plain refusal is sent.
 */
function prohibitChannel(conn: Connection, reject: () => void, description: string): void {
  if (!hasOpenFail(conn)) { reject(); return; }
  const proto = conn._protocol;
  const original = proto.channelOpenFail;
  proto.channelOpenFail = (recipient: number) => original.call(proto, recipient, ADMINISTRATIVELY_PROHIBITED, description);
  try {
    reject();
  } finally {
    proto.channelOpenFail = original;
  }
}

/** Decides requests against the plan's policy once the plan exists. */
/** Where the gate finds the plan and reports refusals (the relay's plan holder). */
export interface PlanSource {
  /** The plan once prepared, else undefined. */
  readonly current: RelayPlan | undefined;
  emit(e: RelayEvent): void;
}

export class PolicyGate {
  #plans: PlanSource;
  #log: Logger;
  #refusals = 0;

  constructor(plans: PlanSource, log: Logger) {
    this.#plans = plans;
    this.#log = log;
  }

  /**
   * The verdict, without reporting. No plan (access itself was refused, the
   * request fails on that) or no policy: allowed.
   */
  peek(r: PolicyRequest): PolicyVerdict {
    return this.#plans.current?.check?.(r) ?? { allowed: true, what: r.kind };
  }

  /** The verdict; a refusal is logged and reported as an event. */
  check(r: PolicyRequest): PolicyVerdict {
    const v = this.peek(r);
    if (v.allowed) return v;
    this.#refusals++;
    if (this.#refusals <= MAX_REFUSAL_EVENTS) {
      this.#log.info('refused by the session policy', { what: v.what, reason: v.reason });
      this.#plans.emit({ type: 'policy-refused', what: v.what, reason: v.reason });
    } else if (this.#refusals === MAX_REFUSAL_EVENTS + 1) {
      this.#log.warn('more session-policy refusals on this connection: no further events', { limit: MAX_REFUSAL_EVENTS });
    }
    return v;
  }

  /** Checks a forwarding channel; refused: answered "administratively prohibited" with the reason, and false. */
  gateChannel(conn: Connection, open: ForwardOpen): boolean {
    const v = this.check(forwardAsk(open));
    if (!v.allowed) prohibitChannel(conn, open.reject, v.reason);
    return v.allowed;
  }

  /** Runs `relay` when the global request is allowed (`ask` undefined: not governed), else replies failure. */
  gateGlobal(ask: PolicyRequest | undefined, relay: () => void, reject: (() => void) | undefined): void {
    if (ask && !this.check(ask).allowed) reject?.();
    else relay();
  }
}
