/**
 * Pure decisions about node liveness: which nodes are dead, which of this
 * node's own session rows are orphans, how a node is addressed. No I/O, no clock.
 */
import type { ListenAddress } from '../config/bind-address.js';

/** How often a node writes its heartbeat and how long silence means death. */
export interface ClusterTiming {
  heartbeatMs: number;
  deadAfterMs: number;
}

/** Production timing: a heartbeat every 10 s, dead after 30 s unseen. */
export const defaultTiming: ClusterTiming = Object.freeze({ heartbeatMs: 10_000, deadAfterMs: 30_000 });

/** The error a session of a lost node is closed with. */
export function lostMessage(node: string): string {
  return `node ${node} lost`;
}

/** Whether a node whose last heartbeat was at `beat` counts as alive at `now`. */
export function isAlive(beat: Date, now: Date, deadAfterMs: number): boolean {
  return now.getTime() - beat.getTime() < deadAfterMs;
}

/**
 * The nodes holding active sessions that are dead: no row at all (crashed
 * before this table existed, or left without closing its sessions), or unseen
 * for `deadAfterMs`. Never `self`: a node's own rows are {@link orphanSessions}'s business.
 */
export function deadHolders(holders: readonly string[], beats: ReadonlyMap<string, Date>, self: string, now: Date, deadAfterMs: number): string[] {
  return holders.filter((n) => {
    if (n === self) return false;
    const beat = beats.get(n);
    return beat === undefined || !isAlive(beat, now, deadAfterMs);
  });
}

/**
 * This node's `active` rows that no live relay of this process holds: left by
 * a previous run of the same node (crash), or whose close could not be written
 * (database outage). Rows younger than `graceMs` are skipped: a relay registers
 * its row just after inserting it.
 */
export function orphanSessions<T extends { id: number; createdAt: Date }>(
  rows: readonly T[], live: ReadonlySet<number>, startedAt: Date, now: Date, graceMs: number,
): T[] {
  return rows.filter((r) => !live.has(r.id) && (r.createdAt < startedAt || now.getTime() - r.createdAt.getTime() > graceMs));
}

/**
 * Where the next pass over this node's own `active` rows starts, after a pass
 * that read `ids` (ascending) in a batch of `batch`: past the last one read,
 * or back at the start once a pass came short. With more live sessions than
 * one batch, a pass that always started at the start would read the same
 * live rows each time and never reach an orphan behind them.
 */
export function nextReapCursor(ids: readonly number[], batch: number): number {
  return ids.length < batch ? 0 : ids[ids.length - 1] ?? 0;
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The address other nodes dial: `--node-address` when given, else the listen
 * host with the bound port. A wildcard listen address (allowed only on SQLite,
 * a single node) is recorded as the loopback address.
 */
export function nodeAddress(explicit: ListenAddress | null, listen: ListenAddress, boundPort: number): string {
  if (explicit?.host !== undefined) return formatAddress(explicit.host, explicit.port);
  const host = listen.host === undefined || listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return formatAddress(host, boundPort);
}

/** Splits a stored `host:port` / `[v6]:port` address; null when malformed. */
export function splitAddress(text: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1], port };
}
