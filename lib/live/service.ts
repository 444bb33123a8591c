/**
 * Live sessions as the admin shell and the viewer logins use them, wherever
 * the session runs: on this node directly, on another node over the node link.
 */
import type { Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type { Cluster } from '../cluster/index.js';
import { ConflictError, PeerLinkError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AttachOptions, Attachment, LiveHub } from './hub.js';
import { castPathOf, openCast } from './recordings.js';
import type { ViewerSink } from './viewer.js';
import { noPtyMessage, terminationMessage } from './words.js';

/** The facts of a session row live sessions need. */
export interface SessionFacts {
  id: number;
  node: string;
  recordings: string | null;
}

/** What the admin shell can do with live sessions. */
export interface LiveControl {
  /** Ends live session `s` (on any node); throws an AppError when it is not live. */
  stop(s: SessionFacts, by: string, reason: string | null): Promise<void>;
  /** Viewer counts by session id; null where the node could not be asked. Only id and node: `session ls` reads no recordings. */
  watchers(rows: readonly Pick<SessionFacts, 'id' | 'node'>[]): Promise<Map<number, number | null>>;
  /** The session's asciicast file as a stream (fetched over the node link when another node recorded it). */
  openRecording(s: SessionFacts): Promise<Readable>;
}

/** What the service needs. */
export interface LiveServiceDeps {
  hub: LiveHub;
  cluster: Pick<Cluster, 'name' | 'live' | 'request' | 'open'>;
  log: Logger;
  logsLocation: string;
}

/** Joiner keystrokes waiting for the node link are dropped past this. */
const maxRemoteInput = 1024 * 1024;

/** An attachment to a session on another node: the link channel carries the view one way and keystrokes the other. */
function remoteAttachment(rc: ClientChannel, sink: ViewerSink): Attachment {
  rc.on('error', () => undefined);
  rc.on('data', (d: Buffer) => {
    if (sink.write(d)) return;
    rc.pause();
    sink.once('drain', () => rc.resume());
  });
  const ended = new Promise<void>((resolve) => rc.once('close', () => resolve()));
  // Paused after its header was read.
  rc.resume();
  return {
    input: (d) => { if (rc.writableLength < maxRemoteInput) rc.write(d); },
    leave: () => rc.close(),
    ended,
  };
}

/** Live sessions of the whole cluster, from this node. */
export class LiveService implements LiveControl {
  readonly #deps: LiveServiceDeps;

  constructor(deps: LiveServiceDeps) {
    this.#deps = deps;
  }

  /** Attaches a viewer to session `s`; throws an AppError when it has no live PTY channel or its node cannot be reached. */
  async attach(s: SessionFacts, opts: AttachOptions, sink: ViewerSink): Promise<Attachment> {
    const { hub, cluster } = this.#deps;
    if (s.node === cluster.name) {
      const att = hub.attach(s.id, opts, sink);
      if (!att) throw new ConflictError(hub.refusal(s.id, s.node) ?? noPtyMessage(s.id, s.node));
      return att;
    }
    const rc = await cluster.open(s.node, { type: 'live-attach', sessionId: s.id, ...opts });
    return remoteAttachment(rc, sink);
  }

  async stop(s: SessionFacts, by: string, reason: string | null): Promise<void> {
    const { cluster } = this.#deps;
    const stopped = s.node === cluster.name
      ? cluster.live.stop(s.id, terminationMessage(by, reason))
      : (await cluster.request(s.node, { type: 'session-stop', sessionId: s.id, by, reason })).stopped;
    if (!stopped) throw new ConflictError(`session ${s.id} is not live on node ${s.node}`);
  }

  async watchers(rows: readonly Pick<SessionFacts, 'id' | 'node'>[]): Promise<Map<number, number | null>> {
    const out = new Map<number, number | null>();
    const byNode = new Map<string, number[]>();
    for (const r of rows) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r.id]);
    for (const [node, ids] of byNode) {
      if (node === this.#deps.cluster.name) {
        for (const id of ids) out.set(id, this.#deps.hub.watchers(id));
        continue;
      }
      try {
        const counts = await this.#deps.cluster.request(node, { type: 'session-watchers', sessionIds: ids });
        ids.forEach((id, i) => out.set(id, counts[i] ?? null));
      } catch (err) {
        if (!(err instanceof PeerLinkError)) throw err;
        for (const id of ids) out.set(id, null);
      }
    }
    return out;
  }

  async openRecording(s: SessionFacts): Promise<Readable> {
    const { cluster, logsLocation } = this.#deps;
    const local = (): Readable => openCast(s.id, castPathOf(s.recordings), logsLocation);
    if (s.node === cluster.name) return local();
    try {
      return await cluster.open(s.node, { type: 'recording-fetch', sessionId: s.id });
    } catch (err) {
      if (!(err instanceof PeerLinkError)) throw err;
      // The node is gone; its recordings may still be here (a shared recordings volume).
      try {
        return local();
      } catch {
        throw new PeerLinkError(`cannot fetch the recording of session ${s.id} from node ${s.node}: ${err.message}`);
      }
    }
  }
}
