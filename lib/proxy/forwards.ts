/**
 * Forwarded channels: `direct-tcpip` / `direct-streamlocal` opened by the
 * client (`-L`, `-D`, `-W`), and `forwarded-tcpip` / `forwarded-streamlocal`
 * / `x11` / agent channels opened by the target and relayed back to the
 * client (`-R`, `-X`, `-A`). Every one is linked with backpressure, counted,
 * reported as events and written to the tunnel log.
 */
import type { Channel, Client, Connection, ServerChannel, TcpConnectionDetails, TcpipRequestInfo, X11Details } from 'ssh2';
import type { Logger } from '../log.js';
import type { TunnelKind, TunnelRecord } from '../recording/tunnel-log.js';
import { linkChannels } from '../ssh/link.js';
import type { Slot } from './limits.js';
import { PairStalls } from './pair-stalls.js';
import type { StallAccount } from './stall-budget.js';
import type { RelayEvent } from './types.js';

/** Services forwards need from their connection. */
export interface ForwardContext {
  log: Logger;
  conn: Connection;
  upstream(): Promise<Client>;
  fatal(err: unknown): void;
  onBytes(dir: 'up' | 'down', n: number): void;
  emit(e: RelayEvent): void;
  tunnel(r: Omit<TunnelRecord, 'user' | 'host'>): void;
  now(): number;
  /** Registers a forward until it finished (the relay waits for it before closing its logs). */
  track(done: Promise<void>): void;
  /** Where this connection's stalled channels are counted (stall-budget.ts), if anywhere. */
  readonly stalls: StallAccount | undefined;
  /** A slot in the connection's channel budget for a channel the target opens, or null (logged) when it is full. */
  openTargetChannel(): Slot | null;
}

/**
 * Links a pair of channels and reports the forward's life; `slot` (a channel
 * the target opened) is released once both closed. Agent channels are not
 * written to the tunnel log (they never were: they carry the user's agent
 * protocol, not a tunnel).
 */
function trackForward(ctx: ForwardContext, kind: TunnelKind, from: string, to: string, down: Channel, up: Channel, slot?: Slot): void {
  const start = ctx.now();
  ctx.emit({ type: 'forward-opened', kind, from, to });
  const stalls = ctx.stalls ? new PairStalls(ctx, ctx.stalls, `${kind} ${to}`, down, up) : undefined;
  ctx.track(linkChannels(down, up, (dir, n) => ctx.onBytes(dir, n), stalls).then((r) => {
    stalls?.upClosed();
    stalls?.downClosed();
    slot?.release();
    const durationMs = ctx.now() - start;
    ctx.emit({ type: 'forward-closed', kind, from, to, bytesUp: r.bytesUp, bytesDown: r.bytesDown, durationMs });
    if (kind !== 'auth-agent') ctx.tunnel({ kind, from, to, bytesUp: r.bytesUp, bytesDown: r.bytesDown, startedAt: new Date(start), durationMs });
  }));
}

/**
 * Relays an agent channel the target opened (`up`) to the one opened to the
 * client's agent (`down`), as any forward: capped buffers, the stall budget,
 * its slot in the connection's channel budget.
 */
export function relayAgentChannel(ctx: ForwardContext, down: Channel, up: Channel, slot: Slot): void {
  trackForward(ctx, 'auth-agent', 'target', 'client agent', down, up, slot);
}

function refused(ctx: ForwardContext, kind: TunnelKind, to: string, err: unknown): void {
  const error = err instanceof Error ? err.message : String(err);
  ctx.log.debug('forward refused', { kind, to, error });
  ctx.emit({ type: 'forward-refused', kind, to, error });
}

type Accept = () => ServerChannel | undefined;

/** `direct-tcpip` from the client (`-L`, `-D`, `-W`). */
export async function relayDirectTcpip(ctx: ForwardContext, accept: Accept, reject: () => void, info: TcpipRequestInfo): Promise<void> {
  let client: Client;
  try { client = await ctx.upstream(); } catch (err) { reject(); ctx.fatal(err); return; }
  const from = `${info.srcIP}:${info.srcPort}`;
  const to = `${info.destIP}:${info.destPort}`;
  // ssh2 throws at once ('Not connected') once the target's socket stopped being readable, before 'close'.
  try {
    client.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, up) => {
      if (err) { reject(); refused(ctx, 'direct-tcpip', to, err); return; }
      const down = accept();
      if (!down) { up.close(); return; }
      trackForward(ctx, 'direct-tcpip', from, to, down, up);
    });
  } catch (err) {
    reject();
    refused(ctx, 'direct-tcpip', to, err);
  }
}

/** `direct-streamlocal@openssh.com` from the client (`-L` to a unix socket). */
export async function relayDirectStreamLocal(ctx: ForwardContext, accept: Accept, reject: () => void, socketPath: string): Promise<void> {
  let client: Client;
  try { client = await ctx.upstream(); } catch (err) { reject(); ctx.fatal(err); return; }
  try {
    client.openssh_forwardOutStreamLocal(socketPath, (err, up) => {
      if (err) { reject(); refused(ctx, 'direct-streamlocal', socketPath, err); return; }
      const down = accept();
      if (!down) { up.close(); return; }
      trackForward(ctx, 'direct-streamlocal', 'client', socketPath, down, up);
    });
  } catch (err) {
    reject();
    refused(ctx, 'direct-streamlocal', socketPath, err);
  }
}

/**
 * Relays channels the target opens on the upstream client back to the
 * downstream client. Registered once per upstream client.
 */
export function relayTargetChannels(ctx: ForwardContext, client: Client): void {
  // Each counts in the connection's channel budget, as the client's own channels do: a process on the target
  // connecting in a loop must not open channels to the client without end.
  client.on('tcp connection', (info: TcpConnectionDetails, accept: () => Channel, reject: () => void) => {
    const slot = ctx.openTargetChannel();
    if (!slot) { reject(); return; }
    const to = `${info.destIP}:${info.destPort}`;
    const from = `${info.srcIP}:${info.srcPort}`;
    ctx.conn.forwardOut(info.destIP, info.destPort, info.srcIP, info.srcPort, (err, down) => {
      if (err) { slot.release(); reject(); refused(ctx, 'forwarded-tcpip', to, err); return; }
      trackForward(ctx, 'forwarded-tcpip', from, to, down, accept(), slot);
    });
  });
  client.on('unix connection', (info: { socketPath: string }, accept: () => Channel, reject: () => void) => {
    const slot = ctx.openTargetChannel();
    if (!slot) { reject(); return; }
    ctx.conn.openssh_forwardOutStreamLocal(info.socketPath, (err, down) => {
      if (err) { slot.release(); reject(); refused(ctx, 'forwarded-streamlocal', info.socketPath, err); return; }
      trackForward(ctx, 'forwarded-streamlocal', 'target', info.socketPath, down, accept(), slot);
    });
  });
  client.on('x11', (info: X11Details, accept: () => Channel, reject: () => void) => {
    const slot = ctx.openTargetChannel();
    if (!slot) { reject(); return; }
    const from = `${info.srcIP}:${info.srcPort}`;
    ctx.conn.x11(info.srcIP, info.srcPort, (err, down) => {
      if (err) { slot.release(); reject(); refused(ctx, 'x11', 'client display', err); return; }
      trackForward(ctx, 'x11', from, 'client display', down, accept(), slot);
    });
  });
}
