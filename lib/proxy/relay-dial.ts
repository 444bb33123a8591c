/**
 * Dials a relay's upstream chain: offers the client's agent when policy lets
 * it, reports the failure or the connection as a relay event, and starts
 * relaying the channels the target opens back.
 */
import type { Connection } from 'ssh2';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { DownstreamAgent, canOpenAgentChannels } from './agent.js';
import { dialChain, type DialedChain } from './dial.js';
import { relayTargetChannels, trackAgentChannel, type ForwardContext } from './forwards.js';
import type { PolicyGate } from './policy-gate.js';
import type { FailureReport } from './session.js';
import type { RelayEvent, RelayPlan } from './types.js';

/** What {@link dialUpstream} needs from the relay. */
export interface UpstreamDialDeps {
  /** The downstream connection (its agent, if forwarded and allowed, authenticates the hops). */
  conn: Connection;
  log: Logger;
  gate: PolicyGate;
  forwardCtx: ForwardContext;
  /** Aborts the dial when the downstream connection closes. */
  signal: AbortSignal;
  emit: (e: RelayEvent) => void;
  report: (err: unknown) => FailureReport;
  now: () => number;
  /** Called with the dialed chain before the target's channels are relayed (it watches the client close). */
  onDialed: (chain: DialedChain) => void;
}

/** Dials `plan.chain`; emits `upstream-failed` (and rethrows) or `upstream-connected`. */
export async function dialUpstream(plan: RelayPlan, deps: UpstreamDialDeps): Promise<DialedChain> {
  const agent = canOpenAgentChannels(deps.conn) && deps.gate.peek({ kind: 'agent-forward' }).allowed
    ? new DownstreamAgent(deps.conn, deps.log, (ch) => trackAgentChannel(deps.forwardCtx, ch))
    : undefined;
  const started = deps.now();
  let chain: DialedChain;
  try {
    chain = await dialChain(plan.chain, { log: deps.log, agent, signal: deps.signal });
  } catch (err) {
    deps.emit({ type: 'upstream-failed', error: deps.report(err).message, code: err instanceof AppError ? err.code : 'internal' });
    throw err;
  }
  deps.onDialed(chain);
  relayTargetChannels(deps.forwardCtx, chain.client);
  deps.emit({ type: 'upstream-connected', hops: plan.chain.map((h) => h.name), durationMs: deps.now() - started });
  return chain;
}
