/**
 * A relay's one upstream connection: dialed once, on the first channel or
 * request that needs it, aborted if the downstream connection closes while
 * it dials, and watched until its client closes (which ends the relay).
 */
import type { Client } from 'ssh2';
import { UpstreamError } from '../errors.js';
import type { DialedChain } from './dial.js';
import type { PolicyGate } from './policy-gate.js';
import { dialUpstream, type DialingRelay } from './relay-dial.js';
import type { RelayPlan } from './types.js';

/** What the upstream asks of its relay. */
export interface UpstreamOwner extends DialingRelay {
  /** The relay's plan, once settled. */
  plan(): Promise<RelayPlan>;
  /** Whether the relay is ending (no new dial, a lost upstream is no news). */
  readonly ending: boolean;
  /** The dialed chain's client closed; `known` is the reason the chain knows (a tunnel's connector went away). */
  upstreamClosed(known: string | undefined): void;
}

export class RelayUpstream {
  readonly #owner: UpstreamOwner;
  readonly #gate: PolicyGate;
  #client: Promise<Client> | undefined;
  #chain: DialedChain | undefined;
  #lost: string | undefined;
  #abort: AbortController | undefined;

  constructor(owner: UpstreamOwner, gate: PolicyGate) {
    this.#owner = owner;
    this.#gate = gate;
  }

  /** The upstream client, dialed on the first call; none once the relay is finalizing and none was asked for. */
  get(finalizing: boolean): Promise<Client> {
    if (finalizing && !this.#client) return Promise.reject(new UpstreamError('connection closed'));
    this.#client ??= this.#dial();
    return this.#client;
  }

  /** Why the upstream was lost, if its client closed while the relay was not ending. */
  get lost(): string | undefined { return this.#lost; }

  /** Why the upstream was lost, if it was: {@link lost}, else the reason the chain knows already. */
  lostReason(): string | undefined { return this.#lost ?? this.#chain?.lostReason(); }

  /** Aborts a dial in progress and closes the chain; resolves once a dial that was asked for settled (the chain then closed too). */
  async close(): Promise<void> {
    this.#abort?.abort();
    this.#chain?.close();
    await this.#client?.catch(() => undefined);
    this.#chain?.close();
  }

  async #dial(): Promise<Client> {
    const plan = await this.#owner.plan();
    if (this.#owner.ending) throw new UpstreamError('connection closed');
    const target = plan.chain[plan.chain.length - 1]?.name ?? 'target';
    // Only while dialing: a dial done or failed has nothing left to abort.
    const abort = new AbortController();
    this.#abort = abort;
    try {
      const chain = await dialUpstream(plan, { gate: this.#gate, relay: this.#owner, signal: abort.signal, onDialed: (c) => this.#watch(c, target) });
      return chain.client;
    } finally {
      if (this.#abort === abort) this.#abort = undefined;
      plan.dialed?.();
    }
  }

  /** Keeps the dialed chain; its client closing ends the relay, with the reason it knows. */
  #watch(chain: DialedChain, target: string): void {
    this.#chain = chain;
    chain.client.on('close', () => {
      const ending = this.#owner.ending;
      const known = ending ? undefined : chain.lostReason();
      if (!ending) this.#lost = known ?? `connection to '${target}' lost`;
      this.#owner.upstreamClosed(known);
    });
  }
}
