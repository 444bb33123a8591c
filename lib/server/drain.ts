/**
 * Draining: on SIGTERM with `--drain-timeout`, the node refuses new logins,
 * answers healthchecks with a failure so load balancers move away, tells live
 * users once, and waits for their connections to end.
 */

/** One live user connection (admin shell, invite, bastion) a drain tells and waits for. */
export interface LiveConnection {
  /** Writes one line to the user's open sessions. */
  notify(line: string): void;
}

/** The notice live users get once when the node starts draining. */
export function drainNotice(remainingMs: number): string {
  return `portal restarting in ${Math.max(0, Math.ceil(remainingMs / 1000))} s`;
}

/** What a login during a drain is told. */
export const drainingRefusal = 'the portal is restarting: try again in a moment';

/** The live user connections of this node, and whether it is draining. */
export class LiveConnections {
  readonly #live = new Set<LiveConnection>();
  #draining = false;
  #waiters: (() => void)[] = [];

  /** True once {@link startDraining} was called. */
  get draining(): boolean {
    return this.#draining;
  }

  /** How many live connections remain. */
  get size(): number {
    return this.#live.size;
  }

  /** Registers a connection; returns the function that unregisters it (on close). */
  add(c: LiveConnection): () => void {
    this.#live.add(c);
    return () => {
      this.#live.delete(c);
      if (this.#live.size === 0) for (const w of this.#waiters.splice(0)) w();
    };
  }

  /** Enters the draining state and tells every live connection `line`, once. */
  startDraining(line: string): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const c of this.#live) c.notify(line);
  }

  /** Resolves once no live connection remains. */
  whenEmpty(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
