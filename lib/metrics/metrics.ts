/**
 * What the server and the bastion report. One small interface, two
 * implementations: a no-op one (no `--metrics-address`) and a Prometheus one
 * with its own registry (never prom-client's global one, so several portals
 * can live in one process).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How a connection logged in (the login name's kind), or `none` when it never tried. */
export type ConnectionKind = 'healthcheck' | 'invite' | 'config' | 'host' | 'peer' | 'tunnel-invite' | 'tunnel' | 'live' | 'none';

/** Live byte counters of one relayed connection (a relay handle satisfies it). */
export interface ByteSource {
  readonly bytesUp: number;
  readonly bytesDown: number;
}

/** The events the portal reports. Every method is cheap and never throws. */
export interface Metrics {
  /** A client connection, counted once by the kind of its login name. */
  connection(kind: ConnectionKind): void;
  /** A refused signed login (or a connection that never got in). */
  authFailure(): void;
  /** An ACL decision that refused a host login. */
  aclDenied(): void;
  /** A bastion session row was opened; `sessionClosed` follows exactly once. */
  sessionOpened(): void;
  sessionClosed(): void;
  /** A relayed connection starts: its bytes are counted live from now on. */
  relayStarted(r: ByteSource): void;
  /** A relayed connection ended: its final bytes move into the totals. */
  relayEnded(r: ByteSource): void;
  /** The upstream chain answered after `ms` milliseconds. */
  upstreamDial(ms: number): void;
  /** The stall budget closed `n` channels, or ended a connection whose cut channel stayed open. */
  stallCut(what: 'channel' | 'connection', n: number): void;
}

/** Metrics that go nowhere (the default). */
export const noopMetrics: Metrics = {
  connection: () => undefined,
  authFailure: () => undefined,
  aclDenied: () => undefined,
  sessionOpened: () => undefined,
  sessionClosed: () => undefined,
  relayStarted: () => undefined,
  relayEnded: () => undefined,
  upstreamDial: () => undefined,
  stallCut: () => undefined,
};

/** Prometheus metrics and the registry that exposes them. */
export interface PromMetrics {
  metrics: Metrics;
  registry: Registry;
}

/** Builds the Prometheus metrics (with default process metrics) in a fresh registry. */
export function createPromMetrics(labels: Record<string, string> = {}): PromMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const connections = new Counter({ name: 'sshportal_connections_total', help: 'Client SSH connections, by login kind', labelNames: ['kind'], registers });
  const authFailures = new Counter({ name: 'sshportal_auth_failures_total', help: 'Refused logins', registers });
  const aclDenials = new Counter({ name: 'sshportal_acl_denials_total', help: 'Host logins refused by the ACLs', registers });
  const active = new Gauge({ name: 'sshportal_sessions_active', help: 'Relayed bastion sessions open on this node', registers });
  const sessions = new Counter({ name: 'sshportal_sessions_total', help: 'Relayed bastion sessions opened', registers });
  const dial = new Histogram({
    name: 'sshportal_upstream_dial_seconds', help: 'Time to connect and authenticate through the hop chain to the target',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
  });
  const cuts = new Counter({ name: 'sshportal_stall_cuts_total', help: 'Relayed channels closed by the stall budget (what=channel), connections it ended (what=connection)', labelNames: ['what'], registers });
  for (const what of ['channel', 'connection'] as const) cuts.inc({ what }, 0);
  const live = new Set<ByteSource>();
  const ended = { up: 0, down: 0 };
  // Bytes are read from live relays at scrape time, so long sessions show progress; a relay's
  // count moves from "live" to "ended" in one step, so the counter never goes backwards.
  new Counter({
    name: 'sshportal_relayed_bytes_total', help: 'Bytes relayed, up (client to target) and down (target to client)',
    labelNames: ['direction'], registers,
    collect() {
      let up = ended.up;
      let down = ended.down;
      for (const r of live) { up += r.bytesUp; down += r.bytesDown; }
      this.reset();
      this.inc({ direction: 'up' }, up);
      this.inc({ direction: 'down' }, down);
    },
  });
  for (const kind of ['healthcheck', 'invite', 'config', 'host', 'peer', 'tunnel-invite', 'tunnel', 'live', 'none'] as const) connections.inc({ kind }, 0);
  const metrics: Metrics = {
    connection: (kind) => connections.inc({ kind }),
    authFailure: () => authFailures.inc(),
    aclDenied: () => aclDenials.inc(),
    sessionOpened: () => { active.inc(); sessions.inc(); },
    sessionClosed: () => active.dec(),
    relayStarted: (r) => { live.add(r); },
    relayEnded: (r) => {
      if (!live.delete(r)) return;
      ended.up += r.bytesUp;
      ended.down += r.bytesDown;
    },
    upstreamDial: (ms) => dial.observe(ms / 1000),
    stallCut: (what, n) => cuts.inc({ what }, n),
  };
  return { metrics, registry };
}
