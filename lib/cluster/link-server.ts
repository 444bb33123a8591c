/**
 * The serving side of the node link: a connection already authenticated with
 * the cluster key as `peer:NODE`. Only session channels carrying one `exec`
 * each are accepted (ssh2 refuses every channel type and request nobody
 * listens for); the exec command is a typed request, the answer goes to stdout.
 */
import type { Connection, ServerChannel } from 'ssh2';
import { userMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { isStreamRequest, maxRequestBytes, parseRequest, type AnsweredRequest, type Envelope, type StreamRequest } from './protocol.js';

/** Most requests in flight on one link; more channels are refused. */
export const maxLinkChannels = 32;
/** How long a handler may take before the request is answered with an error. */
const handlerTimeoutMs = 10_000;

/** What the serving side needs. */
export interface LinkServerDeps {
  log: Logger;
  /** Answers one request from node `from`. */
  handle(req: AnsweredRequest, from: string): Promise<unknown>;
  /**
   * Serves a stream request on `ch`: writes the header line (see
   * {@link StreamRequest}), then the stream; owns and ends the channel.
   */
  stream(req: StreamRequest, ch: ServerChannel, from: string): void;
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
    if (isStreamRequest(req)) return deps.stream(req, ch, from);
    env = { ok: true, value: await withTimeout(deps.handle(req, from), handlerTimeoutMs) };
  } catch (err) {
    deps.log.debug('node link request failed', { from, err });
    env = { ok: false, error: userMessage(err) };
  }
  ch.write(JSON.stringify(env));
  ch.exit(0);
  ch.end();
}

/** Serves the node link on an authenticated `peer:` connection from node `from`. */
export function serveLink(conn: Connection, from: string, deps: LinkServerDeps): void {
  let open = 0;
  deps.log.info('node link opened', { from });
  conn.on('close', () => deps.log.info('node link closed', { from }));
  conn.on('session', (accept, reject) => {
    if (open >= maxLinkChannels) {
      deps.log.warn('node link: too many requests in flight, refusing a channel', { from, max: maxLinkChannels });
      return void reject();
    }
    open++;
    const session = accept();
    let used = false;
    session.once('close', () => { open--; });
    session.on('exec', (acceptExec, rejectExec, info) => {
      if (used || Buffer.byteLength(info.command) > maxRequestBytes) return void rejectExec?.();
      used = true;
      // Accepted at once (the requester may already have sent EOF), answered after.
      void answer(acceptExec(), info.command, from, deps);
    });
  });
}
