/**
 * Serves an authenticated reverse-tunnel connector (`tunnel:NAME` or
 * `host-invite:TOKEN`): only `tcpip-forward` / `cancel-tcpip-forward` global
 * requests are answered; every channel (no session, no shell) and every other
 * request is refused by ssh2, which refuses what nobody listens for. Each
 * accepted forward registers a virtual port: nothing is bound on the portal.
 * Every forward checks the key again in the database (the login's list may
 * be stale), and the connection is tracked from login on, forwards or not,
 * so that revoking its key ends it.
 */
import type { Duplex } from 'node:stream';
import type { Connection } from 'ssh2';
import type { Database } from '../db/database.js';
import { recordEvent } from '../db/events.js';
import { tunnelKeyHosts } from '../db/queries/tunnels.js';
import type { Logger } from '../log.js';
import { defaultLimits } from '../proxy/limits.js';
import { isTunnelUrl } from '../routing/host-url.js';
import { onGlobalRequest, watchQueuedReplies } from '../ssh/global-requests.js';
import { decideBind, recheckBind, type BoundHost, type KeyRecheck, type LocalConnector, type Tunnels } from '../tunnel/index.js';
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

/** The hosts `fingerprint` is a connector key of now; a refusal when the database cannot tell. */
async function boundNow(deps: ConnectorDeps, fingerprint: string, log: Logger): Promise<BoundHost[] | KeyRecheck> {
  try {
    return (await tunnelKeyHosts(deps.db.manager, fingerprint)).filter((h) => isTunnelUrl(h.url));
  } catch (err) {
    log.warn('cannot check a connector key', { err });
    return { action: 'refuse', reason: 'the portal cannot check this connector key' };
  }
}

/**
 * Starts serving a connector connection. `dropConn` ends it for sure
 * (the listener's drop: DISCONNECT, then the socket destroyed after a linger;
 * ssh2's `end()` alone waits for a FIN that a hostile connector never sends).
 */
export function serveConnector(conn: Connection, who: ConnectorIdentity, remote: string, deps: ConnectorDeps, log: Logger, dropConn: () => void): void {
  const mine: LocalConnector[] = [];
  let requests = 0;
  let nextPort = firstAllocatedPort;
  const event = (action: string, host: string, args: Record<string, unknown>): void =>
    void recordEvent(deps.db.manager, { authorId: null, domain: 'tunnel', action, entity: host, args: { fingerprint: who.key.fingerprint, remote_addr: remote, ...args } })
      .catch((err: unknown) => log.warn('cannot write event', { err, domain: 'tunnel', action }));
  /** The hosts the key was bound to at login: what a forward may name (each is checked again). */
  const bound = who.hosts.some((h) => h.id === who.host.id) ? who.hosts : [...who.hosts, who.host];
  log.info('tunnel connector authenticated', { host: who.host.name, fingerprint: who.key.fingerprint, enrolled: who.enrolled });

  /** Set once the connection closed or was dropped: nothing registers any more. */
  let gone = false;
  /** Read again after every wait (a narrowing of `gone` would outlive it). */
  const isGone = (): boolean => gone;
  /** Hosts with a forward being registered or live on this connection: one each. */
  const busy = new Set<number>();
  /** Forwards being checked or registered: the answers to later requests queue up behind them. */
  let inFlight = 0;
  /** Takes this connection's forwards off the registry (once). */
  const offline = (reason: string | undefined): void => {
    gone = true;
    for (const c of mine) {
      if (c.closed) continue;
      c.closed = true;
      deps.tunnels.registry.remove(c);
      log.info('tunnel connector offline', { host: c.hostName });
      event('disconnected', c.hostName, reason === undefined ? {} : { reason });
    }
  };
  const tracked = deps.tunnels.connections.add({
    fingerprint: who.key.fingerprint, loginHostId: who.host.id, forwarding: busy,
    drop: (reason) => drop(reason),
  });
  /** Ends the connection; its forwards leave the registry now, not when (if ever) the peer closes its side. */
  function drop(reason: string): void {
    if (gone) return;
    log.info('connector dropped', { reason });
    tracked.release();
    offline(reason);
    dropConn();
  }

  const refuse = (host: string, reason: string, reject: Reject): void => {
    log.info('connector forward refused', { reason });
    event('refused', host, { reason });
    reject?.();
  };
  /** Registers the forward of `host`, checked again; `busy` holds it until then. */
  const registerChecked = async (host: BoundHost, bindAddr: string, bindPort: number, accept: Accept, reject: Reject): Promise<void> => {
    const now = await boundNow(deps, who.key.fingerprint, log);
    const k = Array.isArray(now) ? recheckBind(host, who.host.id, now) : now;
    // Dropped meanwhile: nobody to answer.
    if (isGone()) return;
    switch (k.action) {
      case 'drop':
        busy.delete(host.id);
        refuse(host.name, k.reason, reject);
        drop(k.reason);
        return;
      case 'refuse':
        busy.delete(host.id);
        refuse(host.name, k.reason, reject);
        return;
      case 'register':
        break;
      default: {
        const never: never = k;
        return never;
      }
    }
    const port = bindPort === 0 ? nextPort++ : bindPort;
    const c = await deps.tunnels.register({
      hostId: k.hostId, hostName: k.hostName, fingerprint: who.key.fingerprint, remote, since: deps.now(), bindAddr, bindPort: port,
      handle: { open: openOn(conn, bindAddr, port) },
    }).catch((err: unknown) => { log.warn('cannot register a connector', { err }); return 'the portal cannot count the connectors of this host'; });
    if (typeof c === 'string') {
      busy.delete(k.hostId);
      refuse(k.hostName, c, reject);
      return;
    }
    if (isGone()) {
      deps.tunnels.registry.remove(c);
      return;
    }
    mine.push(c);
    accept?.(bindPort === 0 ? port : undefined);
    log.info('tunnel connector online', { host: k.hostName, bind: `${bindAddr}:${port}` });
    event('connected', k.hostName, { bind: `${bindAddr}:${port}` });
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
    // Claimed before the key is read again: a revocation committed after that read still finds this connection.
    busy.add(d.hostId);
    inFlight++;
    try {
      await registerChecked({ id: d.hostId, name: d.hostName }, bindAddr, bindPort, accept, reject);
    } finally {
      inFlight--;
    }
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
  // While a forward is checked, keepalive answers wait in ssh2, unsent: past the relay's limit the connection goes.
  watchQueuedReplies(conn, () => inFlight > 0, defaultLimits.maxQueuedReplies, () => {
    log.warn('connector: too many requests waiting for an answer', { max: defaultLimits.maxQueuedReplies });
    drop('too many requests waiting for an answer');
  });
  conn.once('close', () => {
    tracked.release();
    offline(undefined);
  });
}
