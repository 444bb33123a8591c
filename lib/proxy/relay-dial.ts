/**
 * Dials a relay's upstream chain: offers the client's agent when policy lets
 * it, reports the failure or the connection as a relay event, and starts
 * relaying the channels the target opens back.
 */
import { AppError } from '../errors.js';
import { DownstreamAgent, canOpenAgentChannels } from './agent.js';
import { dialChain, type DialedChain, type DialOptions } from './dial.js';
import { relayTargetChannels, relayAgentChannel, type ForwardContext } from './forwards.js';
import type { PolicyGate } from './policy-gate.js';
import type { FailureReport } from './session.js';
import type { RelayPlan } from './types.js';

/** The relay's side of a dial: its downstream connection (`conn`: its agent, if forwarded and allowed, authenticates the hops), events and clock. */
export interface DialingRelay extends ForwardContext {
  report(err: unknown): FailureReport;
}

/** What {@link dialUpstream} needs from the relay. */
export interface UpstreamDialDeps {
  gate: PolicyGate;
  relay: DialingRelay;
  /** Aborts the dial when the downstream connection closes. */
  signal: AbortSignal;
  /** Called with the dialed chain before the target's channels are relayed (it watches the client close). */
  onDialed: (chain: DialedChain) => void;
}

/** Dials `plan.chain`; emits `upstream-failed` (and rethrows) or `upstream-connected`. */
export async function dialUpstream(plan: RelayPlan, deps: UpstreamDialDeps): Promise<DialedChain> {
  const relay = deps.relay;
  const agent = canOpenAgentChannels(relay.conn) && deps.gate.peek({ kind: 'agent-forward' }).allowed
    ? new DownstreamAgent(relay.conn, relay.log, { openTargetChannel: () => relay.openTargetChannel(), relay: (down, up, slot) => relayAgentChannel(relay, down, up, slot) })
    : undefined;
  const started = relay.now();
  const hops = plan.chain.map((h) => h.name);
  const options: DialOptions = { log: relay.log, agent, signal: deps.signal };
  let chain: DialedChain;
  try {
    chain = await dialChain(plan.chain, options);
  } catch (err) {
    relay.emit({ type: 'upstream-failed', error: relay.report(err).message, code: err instanceof AppError ? err.code : 'internal' });
    throw err;
  } finally {
    // The dial's callbacks (kept by ssh2 for the connection's life) keep these options: the signal is only for the dial.
    delete options.signal;
  }
  deps.onDialed(chain);
  relayTargetChannels(relay, chain.client);
  relay.emit({ type: 'upstream-connected', hops, durationMs: relay.now() - started });
  return chain;
}
