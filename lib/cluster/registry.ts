/**
 * This node's row in `nodes` (written at start and on every heartbeat, removed
 * on a clean shutdown) and the reaper that runs after each heartbeat: the
 * `active` sessions of dead nodes, and this node's own orphaned rows, are
 * closed with `node NAME lost`, each exactly once across the cluster.
 */
import type { Database } from '../db/database.js';
import { activeSessionCounts, activeSessionsOf, closeLostSession, listNodes, removeNode, upsertNode, type ActiveSession } from '../db/queries/nodes.js';
import type { Logger } from '../log.js';
import type { LiveSessions } from './live.js';
import { deadHolders, lostMessage, nextReapCursor, orphanSessions, type ClusterTiming } from './liveness.js';

/** Sessions closed per lost node and pass: a big backlog is worked through over several heartbeats. */
const reapBatch = 200;

/** What the registry needs. */
export interface RegistryDeps {
  db: Database;
  log: Logger;
  now: () => Date;
  name: string;
  address: string;
  version: string;
  live: LiveSessions;
  timing: ClusterTiming;
}

/** Heartbeat and reaper of one node. */
export class NodeRegistry {
  readonly #deps: RegistryDeps;
  readonly startedAt: Date;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  #failing = false;
  /** Where the next pass over this node's own rows starts (see nextReapCursor). */
  #ownCursor = 0;

  constructor(deps: RegistryDeps) {
    this.#deps = deps;
    this.startedAt = deps.now();
  }

  /** Registers the node, reaps once, then beats every `heartbeatMs`. */
  async start(): Promise<void> {
    await this.#beat();
    this.#deps.log.info('node registered', { node: this.#deps.name, address: this.#deps.address });
    await this.#reap().catch((err: unknown) => this.#deps.log.warn('node reaper failed', { err }));
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tick().finally(() => this.#schedule());
    }, this.#deps.timing.heartbeatMs);
    this.#timer.unref();
  }

  /** One heartbeat, then a reaper pass; a database outage is logged once, not thrown. */
  async tick(): Promise<void> {
    try {
      await this.#beat();
    } catch (err) {
      if (!this.#failing) this.#deps.log.warn('node heartbeat failed', { node: this.#deps.name, err });
      this.#failing = true;
      return;
    }
    if (this.#failing) this.#deps.log.info('node heartbeat restored', { node: this.#deps.name });
    this.#failing = false;
    // Tried again at the next heartbeat: nothing is lost by a failed pass.
    await this.#reap().catch((err: unknown) => this.#deps.log.warn('node reaper failed', { err }));
  }

  #beat(): Promise<void> {
    const d = this.#deps;
    return upsertNode(d.db.manager, { name: d.name, address: d.address, version: d.version, startedAt: this.startedAt, heartbeatAt: d.now() });
  }

  async #reap(): Promise<void> {
    const d = this.#deps;
    const m = d.db.manager;
    // Snapshot before reading rows: a relay unregisters only after writing its close.
    const live = d.live.ids();
    const holders = [...(await activeSessionCounts(m)).keys()];
    if (holders.length === 0) return;
    const beats = new Map((await listNodes(m)).map((n) => [n.name, n.heartbeatAt]));
    const now = d.now();
    for (const node of deadHolders(holders, beats, d.name, now, d.timing.deadAfterMs)) {
      await this.#close(node, await activeSessionsOf(m, node, reapBatch));
    }
    if (holders.includes(d.name)) {
      const rows = await activeSessionsOf(m, d.name, reapBatch, this.#ownCursor);
      this.#ownCursor = nextReapCursor(rows.map((r) => r.id), reapBatch);
      await this.#close(d.name, orphanSessions(rows, live, this.startedAt, now, d.timing.deadAfterMs));
    }
  }

  async #close(node: string, sessions: readonly ActiveSession[]): Promise<void> {
    const error = lostMessage(node);
    let closed = 0;
    for (const s of sessions) if (await closeLostSession(this.#deps.db, s, node, error, this.#deps.now())) closed++;
    if (closed > 0) this.#deps.log.warn('sessions of a lost node closed', { node, sessions: closed });
  }

  /** Stops the heartbeat and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Removes the node's row (clean shutdown): the node is gone, not lost. */
  async leave(): Promise<void> {
    await removeNode(this.#deps.db.manager, this.#deps.name, this.startedAt)
      .catch((err: unknown) => this.#deps.log.warn('cannot remove the node row', { err }));
  }
}
