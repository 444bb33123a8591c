/**
 * The relay's plan, prepared once per connection (access check and session
 * row), and the events that happened before it was known.
 */
import { UpstreamError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RelayEvent, RelayPlan } from './types.js';

/** How many events are kept while the plan is not known yet (the rest are dropped). */
const MAX_EARLY_EVENTS = 16;
/** The buffer once the plan is known (never written to again): shared, not one empty array per connection. */
const noEvents: RelayEvent[] = [];

/** Callbacks of a {@link RelayPlanHolder}. */
export interface RelayPlanHooks {
  /** Runs the access check and opens the session row (RelayOptions.prepare). */
  prepare(): Promise<RelayPlan>;
  log: Logger;
  /** Called once the plan is known, after the early events were delivered. */
  onReady(plan: RelayPlan): void;
  /** Called (in a later macrotask) when preparing failed. */
  onFailed(err: unknown): void;
}

/**
 * Prepares the plan at most once and delivers relay events to it; events
 * emitted before it is known are buffered (bounded) and delivered in order.
 */
export class RelayPlanHolder {
  #hooks: RelayPlanHooks;
  #plan: RelayPlan | undefined;
  #planned: Promise<RelayPlan> | undefined;
  #prepareError: unknown;
  /** Events that happened before prepare() returned the plan (e.g. the first channel's start). */
  #early: RelayEvent[] = [];

  constructor(hooks: RelayPlanHooks) {
    this.#hooks = hooks;
  }

  /** The plan once prepared, else undefined. */
  get current(): RelayPlan | undefined { return this.#plan; }

  /** The preparation under way or done, undefined if it never started. */
  get started(): Promise<RelayPlan> | undefined { return this.#planned; }

  /** Whether `err` is the error preparation failed with (a refusal, not an upstream failure). */
  isPrepareError(err: unknown): boolean { return err === this.#prepareError; }

  /** Delivers an event to the plan (a failing handler is logged), or buffers it until the plan is known. */
  emit(e: RelayEvent): void {
    if (!this.#plan) {
      if (this.#early.length < MAX_EARLY_EVENTS) this.#early.push(e);
      return;
    }
    try {
      this.#plan.onEvent?.(e);
    } catch (err) {
      this.#hooks.log.warn('relay event handler failed', { event: e.type, err });
    }
  }

  /**
   * The plan, prepared once, before the first channel is confirmed. A refused
   * client is cut off once the channels and requests waiting for the plan got
   * their refusal (they run in microtasks). Refused once `finalizing` if it
   * never started.
   */
  get(finalizing: boolean): Promise<RelayPlan> {
    if (finalizing && !this.#planned) return Promise.reject(new UpstreamError('connection closed'));
    if (this.#planned) return this.#planned;
    this.#planned = this.#hooks.prepare().then((plan) => {
      this.#plan = plan;
      for (const e of this.#early.splice(0)) this.emit(e);
      this.#early = noEvents;
      this.#hooks.onReady(plan);
      return plan;
    }, (err: unknown) => { this.#prepareError = err; throw err; });
    this.#planned.catch((err: unknown) => setImmediate(() => this.#hooks.onFailed(err)));
    return this.#planned;
  }
}
