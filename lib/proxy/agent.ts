/**
 * Agent forwarding (`ssh -A`) through the portal. The target opens
 * `auth-agent@openssh.com` channels to our upstream client; each is relayed as
 * a new `auth-agent@openssh.com` channel opened towards the downstream client,
 * whose agent answers. Several may be in flight at once.
 *
 * ssh2's server has no public call to open that channel type, so this module
 * uses its channel manager and protocol writer, guarded by a runtime shape
 * check: if a future ssh2 changes them, agent forwarding is refused (with a
 * log line) instead of crashing.
 */
import type { Channel, Connection } from 'ssh2';
import { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import type { Slot } from './limits.js';
import { SshBaseAgent } from './ssh2.js';

const WINDOW = 2 * 1024 * 1024;
const PACKET = 32 * 1024;

type OpenCallback = ((err: Error | undefined, ch?: Channel) => void) & { type?: string };

interface ServerInternals {
  _chanMgr: { add(cb: OpenCallback): number };
  _protocol: { openssh_authAgent(chan: number, window: number, packet: number): void };
}

function hasInternals(conn: unknown): conn is ServerInternals {
  if (typeof conn !== 'object' || conn === null) return false;
  const c = conn as Record<string, unknown>;
  const mgr = c._chanMgr as Record<string, unknown> | undefined;
  const proto = c._protocol as Record<string, unknown> | undefined;
  return typeof mgr?.add === 'function' && typeof proto?.openssh_authAgent === 'function';
}

/** Whether this ssh2 build lets us open agent channels to the client. */
export function canOpenAgentChannels(conn: Connection): boolean {
  return hasInternals(conn);
}

/** Opens an `auth-agent@openssh.com` channel to the downstream client. */
function openDownstreamAgentChannel(conn: Connection, cb: (err: Error | undefined, ch?: Channel) => void): void {
  if (!hasInternals(conn)) { cb(new Error('agent forwarding is not supported by this ssh2 version')); return; }
  const wrapper: OpenCallback = (err, ch) => cb(err, ch);
  wrapper.type = 'auth-agent@openssh.com';
  const local = conn._chanMgr.add(wrapper);
  if (local === -1) { cb(new Error('no free channels')); return; }
  conn._protocol.openssh_authAgent(local, WINDOW, PACKET);
}

/** What the downstream agent needs from its relay. */
export interface AgentRelay {
  /** A slot in the connection's channel budget, or null (logged) when it is full. */
  openTargetChannel(): Slot | null;
  /** Relays `up` (the target's agent channel) to `down` (the client's) and releases `slot` once both closed. */
  relay(down: Channel, up: Channel, slot: Slot): void;
}

/**
 * An ssh2 agent whose streams are agent channels opened back to the client.
 * It is never used to authenticate (the upstream auth list omits `agent`).
 *
 * ssh2 joins the target's agent channel to the stream handed back with
 * `pipe()` both ways, with its own 2 MiB buffers, outside every bound the
 * relay keeps; and the target may open as many as it likes. So each one
 * takes a slot in the connection's channel budget, and the two pipes ssh2
 * sets up (synchronously, in the callback) are replaced by the relay's own
 * link: capped buffers, the stall budget. Should a future ssh2 not pipe that
 * way, the channels are left piped as before (logged), slot still held.
 */
export class DownstreamAgent extends SshBaseAgent {
  #conn: Connection;
  #log: Logger;
  #relay: AgentRelay;
  constructor(conn: Connection, log: Logger, relay: AgentRelay) {
    super();
    this.#conn = conn;
    this.#log = log;
    this.#relay = relay;
  }
  getIdentities(cb: (err: Error | undefined) => void): void {
    cb(new Error('the downstream agent is only available for forwarding'));
  }
  sign(...args: unknown[]): void {
    const cb = args[args.length - 1];
    if (typeof cb === 'function') (cb as (err: Error) => void)(new Error('the downstream agent is only available for forwarding'));
  }
  override getStream(cb: (err: Error | undefined, stream?: Duplex) => void): void {
    const slot = this.#relay.openTargetChannel();
    if (!slot) { cb(new Error('too many channels')); return; }
    openDownstreamAgentChannel(this.#conn, (err, ch) => {
      if (err || !ch) {
        slot.release();
        this.#log.debug('agent channel refused by client', { err });
        cb(err ?? new Error('agent channel refused'));
        return;
      }
      let up: unknown;
      const onPipe = (src: unknown): void => { up = src; };
      ch.once('pipe', onPipe);
      cb(undefined, ch);
      ch.removeListener('pipe', onPipe);
      if (!isChannel(up)) {
        this.#log.warn('agent channel left as ssh2 piped it: its buffers are not capped');
        ch.once('close', () => slot.release());
        return;
      }
      up.unpipe(ch);
      ch.unpipe(up);
      this.#relay.relay(ch, up, slot);
      // unpipe() paused both; the relay's pumps pause them again when their destination is full.
      ch.resume();
      up.resume();
    });
  }
}

/** Whether `x` is what ssh2 pipes an agent channel from: one of its channels. */
function isChannel(x: unknown): x is Channel {
  return x instanceof Duplex && typeof (x as Partial<Channel>).close === 'function' && typeof (x as Partial<Channel>).eof === 'function';
}
