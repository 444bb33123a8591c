/**
 * The serving side of live sessions on the node link: another node's admin
 * stops a session of this node, counts its viewers, attaches a viewer to it,
 * or fetches its recording.
 */
import type { ServerChannel } from 'ssh2';
import type { LivePeerHandlers, LiveSessions, StreamRequest } from '../cluster/index.js';
import type { Database } from '../db/database.js';
import { Session } from '../db/entities/index.js';
import { userMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { LiveHub } from './hub.js';
import { castPathOf, openCast } from './recordings.js';
import { terminationMessage } from './words.js';

/** What the serving side needs. */
export interface LivePeerDeps {
  hub: LiveHub;
  relays: LiveSessions;
  db: Database;
  log: Logger;
  /** This node's name. */
  node: string;
  logsLocation: string;
}

const header = (error?: string): string => JSON.stringify(error === undefined ? { ok: true, value: null } : { ok: false, error }) + '\n';

function refuse(ch: ServerChannel, error: string): void {
  ch.write(header(error));
  ch.exit(1);
  ch.end();
}

function attach(deps: LivePeerDeps, req: Extract<StreamRequest, { type: 'live-attach' }>, ch: ServerChannel, from: string): void {
  const why = deps.hub.refusal(req.sessionId, deps.node);
  if (why !== null) return refuse(ch, why);
  ch.write(header());
  const att = deps.hub.attach(req.sessionId, { mode: req.mode, viewer: req.viewer, cols: req.cols, rows: req.rows }, ch);
  if (!att) return void ch.end();
  deps.log.info('viewer attached over the node link', { from, session: req.sessionId, mode: req.mode, viewer: req.viewer });
  ch.on('data', (d: Buffer) => att.input(d));
  ch.once('close', () => att.leave());
  void att.ended.then(() => {
    try {
      ch.exit(0);
      ch.end();
    } catch {
      // the requester already closed it
    }
  });
}

async function fetchRecording(deps: LivePeerDeps, id: number, ch: ServerChannel): Promise<void> {
  const row = await deps.db.manager.findOne(Session, { where: { id }, select: { id: true, node: true, recordings: true } });
  if (!row) { refuse(ch, `session ${id} not found`); return; }
  const file = openCast(id, castPathOf(row.recordings), deps.logsLocation);
  await new Promise<void>((resolve, reject) => { file.once('open', () => resolve()); file.once('error', reject); });
  ch.write(header());
  file.pipe(ch);
  ch.once('close', () => file.destroy());
  file.once('error', () => ch.close());
}

/** The handlers lib/cluster calls for live-session requests. */
export function livePeerHandlers(deps: LivePeerDeps): LivePeerHandlers {
  return {
    stop: (sessionId, by, reason) => Promise.resolve(deps.relays.stop(sessionId, terminationMessage(by, reason))),
    watchers: (ids) => ids.map((id) => deps.hub.watchers(id)),
    stream(req, ch, from) {
      ch.on('error', () => undefined);
      switch (req.type) {
        case 'live-attach':
          attach(deps, req, ch, from);
          return;
        case 'recording-fetch':
          return void fetchRecording(deps, req.sessionId, ch).catch((err: unknown) => {
            deps.log.debug('recording fetch refused', { from, session: req.sessionId, err });
            refuse(ch, userMessage(err));
          });
        default: {
          const never: never = req;
          return never;
        }
      }
    },
  };
}
