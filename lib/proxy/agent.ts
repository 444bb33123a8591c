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
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
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

/**
 * An ssh2 agent whose streams are agent channels opened back to the client.
 * It is never used to authenticate (the upstream auth list omits `agent`).
 */
export class DownstreamAgent extends SshBaseAgent {
  #conn: Connection;
  #log: Logger;
  #onChannel: (ch: Channel) => void;
  constructor(conn: Connection, log: Logger, onChannel: (ch: Channel) => void) {
    super();
    this.#conn = conn;
    this.#log = log;
    this.#onChannel = onChannel;
  }
  getIdentities(cb: (err: Error | undefined) => void): void {
    cb(new Error('the downstream agent is only available for forwarding'));
  }
  sign(...args: unknown[]): void {
    const cb = args[args.length - 1];
    if (typeof cb === 'function') (cb as (err: Error) => void)(new Error('the downstream agent is only available for forwarding'));
  }
  override getStream(cb: (err: Error | undefined, stream?: Duplex) => void): void {
    openDownstreamAgentChannel(this.#conn, (err, ch) => {
      if (err || !ch) {
        this.#log.debug('agent channel refused by client', { err });
        cb(err ?? new Error('agent channel refused'));
        return;
      }
      this.#onChannel(ch);
      cb(undefined, ch);
    });
  }
}
