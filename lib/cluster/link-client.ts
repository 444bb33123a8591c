/**
 * The dialing side of the node link: one SSH connection per peer node, opened
 * on first use as `peer:<self>` with the cluster key, reused by every request,
 * re-dialed once when a request finds it broken (the peer restarted), and
 * ended on close.
 */
import ssh2 from 'ssh2';
import type { Client, ClientChannel } from 'ssh2';
import { PeerLinkError, userMessage } from '../errors.js';
import { endClient } from '../ssh/end-client.js';
import { capRelayBuffers } from '../ssh/pump.js';
import type { Logger, Secret } from '../log.js';
import type { Duplex } from 'node:stream';
import { connectorOpenTimeoutMs } from '../tunnel/index.js';
import { maxHeaderBytes, maxReplyBytes, parseReply, streamRefusal, type AnsweredRequest, type PeerChannel, type PeerReply, type StreamRequest } from './protocol.js';

/** What the dialing side needs. */
export interface LinkClientDeps {
  /** This node's name: the login is `peer:<self>`. */
  self: string;
  /** The cluster private key (OpenSSH text). */
  clusterKey: Secret;
  /** The portal's SSH host key (wire format): every node presents it, anything else is refused. */
  hostKeyBlob: Buffer;
  /** Where node `name` listens, or an error message when it cannot be dialed. */
  resolve(name: string): Promise<{ host: string; port: number } | string>;
  log: Logger;
  /** Per request, dial included (default 5 s). */
  timeoutMs?: number;
}

/** The link broke under a request: worth one re-dial. */
class LinkBroken extends Error {}

class Link {
  #closed = false;
  constructor(readonly client: Client) {
    client.once('close', () => { this.#closed = true; });
  }

  get closed(): boolean { return this.#closed; }

  /**
   * A channel the peer did not open: on a closed link the link broke (worth
   * one re-dial); on a live one the peer refused it (its cap on channels in
   * flight) and the link's other streams go on.
   */
  #refusal(err: Error, what: 'request' | 'stream'): Error {
    return this.#closed ? new LinkBroken(err.message) : new PeerLinkError(`the peer refused the ${what}: ${err.message}`);
  }

  /**
   * One channel under one deadline: `open` asks the peer for it, `use` reads
   * what it needs and settles. Past `timeoutMs` the request fails and its
   * channel is closed; a channel that opens after that is closed at once (it
   * would hold one of the peer's channels, and its connector's, for nothing).
   * A refusal is {@link #refusal}; ssh2 throwing synchronously means the link
   * is gone already.
   */
  #underDeadline<T>(
    timeoutMs: number, what: 'request' | 'stream',
    open: (opened: (err: Error | undefined, ch: ClientChannel) => void) => void,
    use: (ch: ClientChannel, ok: (value: T) => void, fail: (err: Error) => void) => void,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new LinkBroken('link closed'));
      let channel: ClientChannel | undefined;
      let settled = false;
      /** True for the first outcome only. */
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        return true;
      };
      const fail = (err: Error): void => { if (settle()) { channel?.close(); reject(err); } };
      const ok = (value: T): void => { if (settle()) resolve(value); };
      const timer = setTimeout(() => fail(new PeerLinkError('no answer in time')), timeoutMs);
      try {
        open((err, ch) => {
          if (err) { fail(this.#refusal(err, what)); return; }
          if (settled) { ch.close(); return; }
          channel = ch;
          use(ch, ok, fail);
        });
      } catch (err) {
        fail(new LinkBroken(err instanceof Error ? err.message : String(err)));
      }
    });
  }

  exec(command: string, timeoutMs: number): Promise<string> {
    return this.#underDeadline<string>(timeoutMs, 'request', (opened) => this.client.exec(command, opened), (stream, ok, fail) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.stderr.resume();
      stream.on('data', (d: Buffer) => {
        size += d.length;
        if (size > maxReplyBytes) fail(new PeerLinkError('answer too large'));
        else chunks.push(d);
      });
      stream.on('close', () => {
        if (this.#closed && size === 0) fail(new LinkBroken('link closed'));
        else ok(Buffer.concat(chunks).toString('utf8'));
      });
    });
  }

  stream(dest: string, timeoutMs: number): Promise<Duplex> {
    return this.#underDeadline<Duplex>(timeoutMs, 'stream', (opened) => this.client.forwardOut('peer', 0, dest, 0, opened), (ch, ok) => ok(ch));
  }

  /** Opens a stream request: resolves with the channel once its header said yes (bytes after it are put back). */
  execStream(command: string, timeoutMs: number): Promise<ClientChannel> {
    // A refused channel on a live link (too many in flight) is no broken link: the other streams on it go on.
    return this.#underDeadline<ClientChannel>(timeoutMs, 'stream', (opened) => this.client.exec(command, opened), (stream, ok, fail) => {
      // Read at the consumer's pace (a viewer, an admin's terminal): 512 KiB read ahead, not ssh2's 2 MiB.
      capRelayBuffers(stream);
      stream.stderr.resume();
      readHeader(stream).then((rest) => { if (rest.length > 0) stream.unshift(rest); ok(stream); }, fail);
    });
  }

  end(): void {
    endClient(this.client);
  }
}

/** Reads a stream's header line (bounded); resolves with the bytes after it, rejects with the peer's refusal. */
function readHeader(stream: ClientChannel): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, rest?: Buffer): void => {
      stream.off('data', onData);
      stream.off('close', onClose);
      stream.pause();
      if (err) reject(err);
      else resolve(rest ?? Buffer.alloc(0));
    };
    const onClose = (): void => done(new LinkBroken('the stream closed before its header'));
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length > maxHeaderBytes) done(new PeerLinkError('stream header too large'));
        return;
      }
      const refusal = streamRefusal(buf.subarray(0, nl).toString('utf8'));
      if (refusal !== null) return done(new PeerLinkError(refusal));
      done(null, buf.subarray(nl + 1));
    };
    stream.on('data', onData);
    stream.once('close', onClose);
  });
}

/**
 * How long a stream channel of each kind may take to open, from a request's
 * time (`requestMs`). A tunnel stream waits on the serving node for its
 * connector (up to {@link connectorOpenTimeoutMs}): the requester waits that
 * long plus a request's time, so that the serving node's own answer (the
 * channel, or its refusal) comes first. A new kind fails to compile until its
 * entry is written.
 */
const streamOpenMs: Record<PeerChannel['type'], (requestMs: number) => number> = {
  tunnel: (requestMs) => connectorOpenTimeoutMs + requestMs,
};

/** Every outgoing node link of this node. */
export class PeerLinks {
  readonly #deps: LinkClientDeps;
  readonly #links = new Map<string, Promise<Link>>();
  #closed = false;

  constructor(deps: LinkClientDeps) {
    this.#deps = deps;
  }

  get #timeoutMs(): number { return this.#deps.timeoutMs ?? 5_000; }

  #dial(node: string): Promise<Link> {
    return (async () => {
      const where = await this.#deps.resolve(node);
      if (typeof where === 'string') throw new PeerLinkError(where);
      const client = new ssh2.Client();
      await new Promise<void>((resolve, reject) => {
        let ready = false;
        client.once('ready', () => { ready = true; resolve(); });
        // Its address and the system's words are logged; what users may see names the node only.
        client.once('error', (err: Error) => {
          if (ready) return;
          this.#deps.log.warn('cannot dial a node link', { node, address: `${where.host}:${where.port}`, err });
          reject(new PeerLinkError(`node ${node} unreachable`));
        });
        client.connect({
          host: where.host, port: where.port, username: `peer:${this.#deps.self}`,
          privateKey: this.#deps.clusterKey.reveal(),
          hostVerifier: (key: Buffer) => key.equals(this.#deps.hostKeyBlob),
          readyTimeout: this.#timeoutMs, keepaliveInterval: 15_000, keepaliveCountMax: 3,
        });
      });
      client.on('error', (err: Error) => this.#deps.log.debug('node link error', { node, err }));
      this.#deps.log.info('node link dialed', { node, address: `${where.host}:${where.port}` });
      return new Link(client);
    })();
  }

  #get(node: string): Promise<Link> {
    if (this.#closed) return Promise.reject(new PeerLinkError('the portal is shutting down'));
    let p = this.#links.get(node);
    if (!p) {
      p = this.#dial(node);
      const mine = p;
      this.#links.set(node, p);
      mine.then((link) => link.client.once('close', () => this.#forget(node, mine)), () => this.#forget(node, mine));
    }
    return p;
  }

  #forget(node: string, p: Promise<Link>): void {
    if (this.#links.get(node) === p) this.#links.delete(node);
  }

  /** Sends `req` to `node` and returns its typed answer; throws PeerLinkError when the node cannot answer. */
  async request<R extends AnsweredRequest>(node: string, req: R): Promise<PeerReply<R>> {
    const text = await this.#onLink(node, (link) => link.exec(JSON.stringify(req), this.#timeoutMs));
    try {
      return parseReply(req, text);
    } catch (err) {
      throw new PeerLinkError(`node ${node}: ${userMessage(err)}`);
    }
  }

  /** Opens a typed stream channel to `node` (re-dialed once when the link was broken). */
  stream(node: string, req: PeerChannel): Promise<Duplex> {
    return this.#onLink(node, (link) => link.stream(JSON.stringify(req), streamOpenMs[req.type](this.#timeoutMs)));
  }

  /**
   * Opens a stream request on `node`: the channel, past its header. The caller
   * owns it (closing it ends the stream on the peer). A refusal by the peer is
   * a PeerLinkError carrying the peer's message.
   */
  open(node: string, req: StreamRequest): Promise<ClientChannel> {
    return this.#onLink(node, (link) => link.execStream(JSON.stringify(req), this.#timeoutMs));
  }

  /** Runs `use` on the link to `node`; a link found broken is dropped and dialed again, once. */
  async #onLink<T>(node: string, use: (link: Link) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const p = this.#get(node);
      const link = await p;
      try {
        return await use(link);
      } catch (err) {
        if (!(err instanceof LinkBroken)) throw err;
        this.#forget(node, p);
        link.end();
        if (attempt >= 2) throw new PeerLinkError(`node link to ${node} broke: ${err.message}`);
      }
    }
  }

  /** Ends every link; later requests fail. */
  close(): void {
    this.#closed = true;
    for (const p of this.#links.values()) p.then((l) => l.end(), () => undefined);
    this.#links.clear();
  }
}
