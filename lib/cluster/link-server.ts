/**
 * The serving side of the node link: a connection already authenticated with
 * the cluster key as `peer:NODE`. Channel opens and session requests come
 * through lib/ssh's unions, like every other path: session channels carrying
 * one `exec` each (the command is a typed request, the answer goes to stdout)
 * and `direct-tcpip` stream channels are served; everything else is refused.
 */
import type { Duplex } from 'node:stream';
import type { Connection, ServerChannel, Session, TcpipRequestInfo } from 'ssh2';
import { userMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { onChannelOpen } from '../ssh/channel-opens.js';
import { endChannel } from '../ssh/exit.js';
import { capRelayBuffers } from '../ssh/pump.js';
import { onSessionRequest } from '../ssh/session-requests.js';
import { isStreamRequest, maxRequestBytes, parseChannel, parseRequest, type AnsweredRequest, type Envelope, type PeerChannel, type StreamRequest } from './protocol.js';

/** Most requests in flight on one link; more channels are refused. */
const maxLinkChannels = 32;
/** How long a handler may take before the request is answered with an error. */
const handlerTimeoutMs = 10_000;

/** What the serving side needs. */
export interface LinkServerDeps {
  log: Logger;
  /** Answers one request from node `from`. */
  handle(req: AnsweredRequest, from: string): Promise<unknown>;
  /**
   * Serves a stream request on its exec channel `ch`: writes the header line
   * (see {@link StreamRequest}), then the stream; owns and ends the channel.
   */
  execStream(req: StreamRequest, ch: ServerChannel, from: string): void;
  /** Opens the local end of a stream channel; rejecting refuses the channel. */
  stream(req: PeerChannel, from: string): Promise<Duplex>;
}

/**
 * Joins a link channel and a local stream both ways; either end closing closes
 * the other. Both keep the relay's buffer caps: a local end that never reads
 * makes this side hold the window it granted once (2 MiB), not granted again
 * (4 MiB), and a node that never reads at most 256 KiB queued, not 2 MiB.
 */
export function joinLinkChannel(ch: ServerChannel, local: Duplex): void {
  capRelayBuffers(ch);
  capRelayBuffers(local);
  ch.pipe(local);
  local.pipe(ch);
  const end = (): void => { local.destroy(); ch.close(); };
  local.once('close', end);
  ch.once('close', end);
  local.on('error', () => end());
  ch.on('error', () => end());
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('handler timed out')), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function answer(ch: ServerChannel, command: string, from: string, deps: LinkServerDeps): Promise<void> {
  // The requester may give up (timeout) and close first: late writes are dropped.
  ch.on('error', () => undefined);
  let env: Envelope;
  try {
    const req = parseRequest(command);
    // A stream (a recording, a remote viewer's screen) keeps the relay's caps: a requester that reads
    // slowly or never holds 256 KiB queued here, not ssh2's 2 MiB.
    if (isStreamRequest(req)) { capRelayBuffers(ch); deps.execStream(req, ch, from); return; }
    env = { ok: true, value: await withTimeout(deps.handle(req, from), handlerTimeoutMs) };
  } catch (err) {
    deps.log.debug('node link request failed', { from, err });
    env = { ok: false, error: userMessage(err) };
  }
  ch.write(JSON.stringify(env));
  await endChannel(ch, { exit: { code: 0 } }, deps.log);
}

interface LinkState {
  /** Channels in flight (requests and streams). */
  open: number;
  /** Set once the link's connection closed. */
  closed: boolean;
}

function serveStream(accept: () => ServerChannel | undefined, reject: () => void, info: TcpipRequestInfo, from: string, deps: LinkServerDeps, st: LinkState): void {
  if (st.open >= maxLinkChannels) return reject();
  let req: PeerChannel;
  try {
    req = parseChannel(info.destIP);
  } catch (err) {
    deps.log.debug('node link channel refused', { from, err });
    return reject();
  }
  st.open++;
  deps.stream(req, from).then((local) => {
    // The link closed while the local end opened (a connector may take seconds): ssh2 would still hand out
    // a channel, one that never closes, and the local end (the connector's channel) would stay open with it.
    if (st.closed) { st.open--; local.destroy(); return; }
    const ch = accept();
    if (!ch) { st.open--; local.destroy(); return; }
    ch.once('close', () => { st.open--; });
    joinLinkChannel(ch, local);
  }, (err: unknown) => {
    st.open--;
    deps.log.debug('node link channel failed', { from, err });
    reject();
  });
}

function serveRequests(session: Session, from: string, deps: LinkServerDeps): void {
  let used = false;
  onSessionRequest(session, (r) => {
    switch (r.type) {
      case 'exec': {
        if (used || Buffer.byteLength(r.command) > maxRequestBytes) return r.reject?.();
        used = true;
        // Accepted at once (the requester may already have sent EOF), answered after.
        const ch = r.accept();
        if (ch) void answer(ch, r.command, from, deps);
        return;
      }
      case 'pty-req':
      case 'env':
      case 'x11-req':
      case 'auth-agent-req':
      case 'window-change':
      case 'signal':
      case 'shell':
      case 'subsystem':
        r.reject?.();
        return;
      default: {
        const never: never = r;
        deps.log.warn('node link: unhandled session request', { from, request: JSON.stringify(never) });
      }
    }
  });
}

/** Serves the node link on an authenticated `peer:` connection from node `from`. */
export function serveLink(conn: Connection, from: string, deps: LinkServerDeps): void {
  const st: LinkState = { open: 0, closed: false };
  deps.log.info('node link opened', { from });
  conn.on('close', () => {
    st.closed = true;
    deps.log.info('node link closed', { from });
  });
  onChannelOpen(conn, (open) => {
    switch (open.type) {
      case 'direct-tcpip':
        serveStream(open.accept, open.reject, open.info, from, deps, st);
        return;
      case 'session': {
        if (st.open >= maxLinkChannels) {
          deps.log.warn('node link: too many requests in flight, refusing a channel', { from, max: maxLinkChannels });
          return open.reject();
        }
        const session = open.accept();
        if (!session) return;
        st.open++;
        session.once('close', () => { st.open--; });
        serveRequests(session, from, deps);
        return;
      }
      case 'direct-streamlocal@openssh.com':
        open.reject();
        return;
      default: {
        const never: never = open;
        deps.log.warn('node link: unhandled channel open', { from, open: JSON.stringify(never) });
      }
    }
  });
}
