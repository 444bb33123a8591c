/**
 * One dialed (or dialing) hop chain as an owner of its resources: its ssh2
 * clients, the streams opened for it, and the output guard on every hop's
 * transport (lib/server/backpressure.ts, as for clients): a hop that stops
 * reading is no longer read, one that stays stuck (or has more waiting for it
 * than any reader leaves) drops the chain. Also the abortable step of a dial.
 */
import type { Client } from 'ssh2';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { UpstreamError } from '../errors.js';
import type { Logger } from '../log.js';
import { guardOutput, type OutputGuardEvents, type OutputLimits } from '../server/backpressure.js';
import { endClient } from '../ssh/end-client.js';
import type { OpenedSocket } from './types.js';

/** A connected chain; `client` talks to the final target. */
export interface DialedChain {
  client: Client;
  /** Every client, first hop first. */
  clients: Client[];
  /** Ends every client, last hop first. */
  close(): void;
  /** Why the chain was lost, when an opened hop socket knows (a tunnel's connector went away). */
  lostReason(): string | undefined;
}

/** The error of a dial given up because its signal aborted. */
export function aborted(): UpstreamError {
  return new UpstreamError('connection closed');
}

/**
 * The bound on one hop's unsent output: the clients' own, raised to the
 * transport's high-water mark (the guard resumes reading at the transport's
 * 'drain', which only a write past that mark asks for: a hop's channel holds
 * 2 MiB before it says it is full, a socket 16 KiB).
 */
export function hopOutputLimits(limits: OutputLimits, transportHighWaterMark: number): OutputLimits {
  if (transportHighWaterMark <= limits.highWaterBytes) return limits;
  return { ...limits, highWaterBytes: transportHighWaterMark };
}

/** Why a chain is dropped: a hop read nothing for the guard's delay, or more waits for it than any reader leaves. */
export type DropCause = { kind: 'stuck'; afterMs: number } | { kind: 'overflow'; pendingBytes: number };

/** What the user is told, and the log line, when the chain is dropped because of `hop`. */
export function dropReason(hop: string, cause: DropCause): { message: string; log: string } {
  switch (cause.kind) {
    case 'stuck':
      return {
        message: `connection to '${hop}' dropped: it stopped reading (nothing read for ${Math.round(cause.afterMs / 1000)} s)`,
        log: 'dropping an upstream connection that stopped reading',
      };
    case 'overflow':
      return {
        message: `connection to '${hop}' dropped: it stopped reading (${Math.round(cause.pendingBytes / (1024 * 1024))} MiB waiting for it)`,
        log: 'dropping an upstream connection that stopped reading: too much output waiting',
      };
  }
}

/**
 * More than this many times a hop's bound waiting for it drops the chain at
 * once. Pausing the hop stops what it causes (replies to its requests); what
 * the portal sends it unasked is held by SSH windows and by the transport's
 * bound (channel data waits at 1 MiB, lib/ssh/transport-backpressure.ts: at
 * most 1 MiB plus a 32 KiB packet per channel, 128 channels, ~5 MiB), but
 * not the requests a user relays through it (window-change, signal): a user
 * flooding them into a target of their own that never reads grew the portal
 * by 430 MB in 10 s, and no data came from the target for the guard to look.
 * Each such request is a write of its own (~200 bytes of RSS per 50 bytes
 * queued): 8 MiB queued is ~40 MB.
 */
export const OVERFLOW_FACTOR = 8;

/** Whether `pending` unsent bytes towards a hop bounded by `limits` call for dropping it at once. */
export function overflowing(pending: number, limits: OutputLimits): boolean {
  return pending > limits.highWaterBytes * OVERFLOW_FACTOR;
}

/** How often live chains' transports are checked for {@link overflowing}, ms. */
const OVERFLOW_SWEEP_MS = 250;

/**
 * Settles as `step` does, or rejects at once when `signal` aborts; a result
 * `step` brings after that is handed to `discard` (the caller gave up on it,
 * so nobody else will close it).
 */
export function abortable<T>(step: Promise<T>, signal: AbortSignal | undefined, discard: (late: T) => void): Promise<T> {
  if (!signal) return step;
  return new Promise<T>((resolve, reject) => {
    let decided = false;
    /** True for the first outcome only (the step's or the abort's): it decides. */
    const decide = (): boolean => {
      signal.removeEventListener('abort', onAbort);
      if (decided) return false;
      decided = true;
      return true;
    };
    const onAbort = (): void => { if (decide()) reject(aborted()); };
    step.then(
      (value) => { if (decide()) resolve(value); else discard(value); },
      // Resolving with the failed step rejects with its own reason.
      () => { if (decide()) resolve(step); },
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One chain, dialing or dialed: it owns its clients, the sockets opened for
 * it and the output guards on its hops' transports (a hop's TCP socket, the
 * previous hop's channel, or an opened stream), and ends them all.
 */
export class Chain implements DialedChain {
  /** Chains with a guarded transport, not closed nor dropped: swept for {@link overflowing} on one timer. */
  static readonly #live = new Set<Chain>();
  static #sweeper: NodeJS.Timeout | undefined;
  readonly clients: Client[] = [];
  readonly opened: OpenedSocket[] = [];
  readonly #log: Logger;
  readonly #limits: OutputLimits;
  /** Every hop's transport and its bound, first hop first. */
  readonly #hops: { name: string; transport: Duplex; limits: OutputLimits }[] = [];
  #dropped: string | undefined;
  #closed = false;

  constructor(log: Logger, limits: OutputLimits) {
    this.#log = log;
    this.#limits = limits;
  }

  get client(): Client { return this.clients[this.clients.length - 1]; }

  /** Ends every client, last hop first. */
  close(): void {
    this.#closed = true;
    Chain.#leave(this);
    for (const c of [...this.clients].reverse()) endClient(c);
  }

  lostReason(): string | undefined {
    return this.#dropped ?? this.opened.map((o) => o.lost()).find((r) => r !== undefined);
  }

  /** Bounds what waits to be sent to `hop` through `transport`. */
  guard(hop: string, transport: Duplex): void {
    const limits = hopOutputLimits(this.#limits, transport.writableHighWaterMark);
    this.#hops.push({ name: hop, transport, limits });
    guardOutput(transport, limits, new HopOutput(this, hop, this.#log, limits.stuckMs));
    if (!this.#closed && this.#dropped === undefined) Chain.#join(this);
  }

  /** Drops the chain: every transport is destroyed (the clients then close, the last one ending the relay). */
  drop(hop: string, cause: DropCause, pending: number): void {
    if (this.#closed || this.#dropped !== undefined) return;
    Chain.#leave(this);
    const reason = dropReason(hop, cause);
    this.#dropped = reason.message;
    this.#log.warn(reason.log, { hop, pending, ...cause });
    for (const { transport } of [...this.#hops].reverse()) {
      transport.destroy();
      // A hop's channel says 'close' (and its client closes) only once its buffered input was read: the guard paused it.
      if (!(transport instanceof Socket)) transport.resume();
    }
  }

  /** Drops the chain if more waits for one of its hops than {@link overflowing} allows. */
  #sweep(): void {
    for (const { name, transport, limits } of this.#hops) {
      const pending = transport.writableLength;
      if (!transport.destroyed && overflowing(pending, limits)) return this.drop(name, { kind: 'overflow', pendingBytes: pending }, pending);
    }
  }

  static #join(chain: Chain): void {
    Chain.#live.add(chain);
    if (Chain.#sweeper) return;
    Chain.#sweeper = setInterval(Chain.#sweepAll, OVERFLOW_SWEEP_MS);
    Chain.#sweeper.unref();
  }

  static #leave(chain: Chain): void {
    Chain.#live.delete(chain);
    if (Chain.#live.size > 0 || !Chain.#sweeper) return;
    clearInterval(Chain.#sweeper);
    Chain.#sweeper = undefined;
  }

  static #sweepAll(): void {
    for (const chain of Chain.#live) chain.#sweep();
  }
}

/** The guard's reports about one hop. */
class HopOutput implements OutputGuardEvents {
  readonly #chain: Chain;
  readonly #hop: string;
  readonly #log: Logger;
  readonly #stuckMs: number;
  #pauses = 0;

  constructor(chain: Chain, hop: string, log: Logger, stuckMs: number) {
    this.#chain = chain;
    this.#hop = hop;
    this.#log = log;
    this.#stuckMs = stuckMs;
  }

  paused(pending: number): void {
    // At info once per hop: a slow target is paused at every burst the portal sends it faster than it reads.
    const line = 'upstream is not reading: input paused';
    if (this.#pauses++ === 0) this.#log.info(line, { hop: this.#hop, pending });
    else this.#log.debug(line, { hop: this.#hop, pending, pauses: this.#pauses });
  }

  stuck(pending: number): void {
    this.#chain.drop(this.#hop, { kind: 'stuck', afterMs: this.#stuckMs }, pending);
  }
}

