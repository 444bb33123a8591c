/**
 * Serves an authenticated reverse-tunnel connector (`tunnel:NAME` or
 * `host-invite:TOKEN`): only `tcpip-forward` / `cancel-tcpip-forward` global
 * requests are answered; every channel (no session, no shell) and every other
 * request is refused by ssh2, which refuses what nobody listens for. Each
 * accepted forward registers a virtual port: nothing is bound on the portal.
 */
import type { Duplex } from 'node:stream';
import type { Connection } from 'ssh2';
import type { Database } from '../db/database.js';
import { recordEvent } from '../db/events.js';
import type { Logger } from '../log.js';
import { onGlobalRequest } from '../ssh/global-requests.js';
import { decideBind, type LocalConnector, type Tunnels } from '../tunnel/index.js';
import type { Identity } from './auth.js';

/** Most `tcpip-forward` requests one connector connection may send (accepted or not). */
export const maxForwardRequests = 8;
/** Port numbers handed out for `-R 0:…` (virtual: never bound). */
const firstAllocatedPort = 40_000;

/** What the connector side needs. */
export interface ConnectorDeps {
  db: Database;
  tunnels: Tunnels;
  now: () => Date;
}

type ConnectorIdentity = Extract<Identity, { kind: 'connector' }>;
type Accept = ((port?: number) => void) | undefined;
type Reject = (() => void) | undefined;

function openOn(conn: Connection, bindAddr: string, bindPort: number) {
  return (originAddr: string, originPort: number): Promise<Duplex> => new Promise((resolve, reject) => {
    try {
      // OpenSSH finds the forward by the exact address string and port it sent.
      conn.forwardOut(bindAddr, bindPort, originAddr, originPort, (err, ch) => (err ? reject(err) : resolve(ch)));
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Starts serving a connector connection. */
export function serveConnector(conn: Connection, who: ConnectorIdentity, remote: string, deps: ConnectorDeps, log: Logger): void {
  const mine: LocalConnector[] = [];
  let requests = 0;
  let nextPort = firstAllocatedPort;
  const event = (action: string, host: string, args: Record<string, unknown>): void =>
    void recordEvent(deps.db.manager, { authorId: null, domain: 'tunnel', action, entity: host, args: { fingerprint: who.key.fingerprint, remote_addr: remote, ...args } })
      .catch((err: unknown) => log.warn('cannot write event', { err, domain: 'tunnel', action }));
  const bound = who.hosts.some((h) => h.id === who.host.id) ? who.hosts : [...who.hosts, who.host];
  log.info('tunnel connector authenticated', { host: who.host.name, fingerprint: who.key.fingerprint, enrolled: who.enrolled });

  let gone = false;
  /** Hosts with a forward being registered or live on this connection: one each. */
  const busy = new Set<number>();
  const refuse = (host: string, reason: string, reject: Reject): void => {
    log.info('connector forward refused', { reason });
    event('refused', host, { reason });
    reject?.();
  };
  const forward = async (bindAddr: string, bindPort: number, accept: Accept, reject: Reject): Promise<void> => {
    if (++requests > maxForwardRequests) {
      log.warn('connector: too many forward requests', { max: maxForwardRequests });
      return reject?.();
    }
    const d = decideBind(bindAddr, who.host, bound);
    if (d.action === 'refuse') {
      refuse(who.host.name, d.reason, reject);
      return;
    }
    if (busy.has(d.hostId)) return reject?.();
    busy.add(d.hostId);
    const port = bindPort === 0 ? nextPort++ : bindPort;
    const c = await deps.tunnels.register({
      hostId: d.hostId, hostName: d.hostName, fingerprint: who.key.fingerprint, remote, since: deps.now(), bindAddr, bindPort: port,
      handle: { open: openOn(conn, bindAddr, port), drop: (reason) => { log.info('connector dropped', { reason }); conn.end(); } },
    }).catch((err: unknown) => { log.warn('cannot register a connector', { err }); return 'the portal cannot count the connectors of this host'; });
    if (typeof c === 'string') {
      busy.delete(d.hostId);
      refuse(d.hostName, c, reject);
      return;
    }
    if (gone) {
      deps.tunnels.registry.remove(c);
      return;
    }
    mine.push(c);
    accept?.(bindPort === 0 ? port : undefined);
    log.info('tunnel connector online', { host: d.hostName, bind: `${bindAddr}:${port}` });
    event('connected', d.hostName, { bind: `${bindAddr}:${port}` });
  };

  const cancel = (bindAddr: string, bindPort: number, accept: Accept, reject: Reject): void => {
    const c = mine.find((x) => x.bindAddr === bindAddr && x.bindPort === bindPort && !x.closed);
    if (!c) return reject?.();
    c.closed = true;
    busy.delete(c.hostId);
    deps.tunnels.registry.remove(c);
    event('disconnected', c.hostName, { reason: 'forward cancelled' });
    accept?.();
  };

  onGlobalRequest(conn, (r, accept, reject) => {
    switch (r.name) {
      case 'tcpip-forward':
        return void forward(r.address, r.port, accept, reject);
      case 'cancel-tcpip-forward':
        return cancel(r.address, r.port, accept, reject);
      case 'streamlocal-forward@openssh.com':
      case 'cancel-streamlocal-forward@openssh.com':
        return reject?.();
      default: {
        const never: never = r;
        return never;
      }
    }
  }, (name) => log.debug('connector: global request refused', { name }));
  conn.once('close', () => {
    gone = true;
    for (const c of mine) {
      if (c.closed) continue;
      c.closed = true;
      deps.tunnels.registry.remove(c);
      log.info('tunnel connector offline', { host: c.hostName });
      event('disconnected', c.hostName, {});
    }
  });
}
