/**
 * The node link's typed requests. A request is one `exec` on a session channel
 * of the link: the command is the request as JSON, the answer one JSON object
 * on stdout, then exit status 0. Later features add request types here (and a
 * handler case); streams can use the channel itself. Pure: parsing only.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ConnectorView } from '../tunnel/registry.js';

/** Largest request accepted (bytes of the exec command). */
export const maxRequestBytes = 8 * 1024;
/** Largest answer a requester reads before giving up. */
export const maxReplyBytes = 64 * 1024;

/** Every request a node may send to another. */
export type PeerRequest =
  | { type: 'ping' }
  | { type: 'session-counters'; sessionId: number }
  /** The asked node's live tunnel connectors (of `hostIds`, or all). */
  | { type: 'tunnel-list'; hostIds: number[] | null }
  /** Drop the asked node's connectors of `hostId` using `fingerprints` (all when empty): their keys were revoked. */
  | { type: 'tunnel-drop'; hostId: number; fingerprints: string[] };

/**
 * Every stream channel a node may open on the link (a `direct-tcpip` channel
 * whose destination is this JSON): bytes only, both ways.
 */
export type PeerChannel =
  /** The raw stream of connector `connectorId` of tunnel host `hostId`, held by the asked node. */
  { type: 'tunnel'; hostId: number; connectorId: number };

/** The answer of each request type. */
export interface PeerReplies {
  ping: { node: string; version: string };
  /** null: the session is not live on the asked node. */
  'session-counters': { bytesUp: number; bytesDown: number } | null;
  'tunnel-list': ConnectorView[];
  'tunnel-drop': { dropped: number };
}

/** Most connectors one answer may list; most ids or fingerprints one request may carry. */
export const maxListed = 256;

/** The answer of request `R`. */
export type PeerReply<R extends PeerRequest> = PeerReplies[R['type']];

/** What travels back on stdout. */
export type Envelope = { ok: true; value: unknown } | { ok: false; error: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`malformed ${what}: not JSON`);
  }
}

/** Parses a request received on the link; throws InvalidArgumentError on anything unexpected. */
export function parseRequest(text: string): PeerRequest {
  if (Buffer.byteLength(text) > maxRequestBytes) throw new InvalidArgumentError('request too large');
  const v = parseJson(text, 'request');
  if (!isRecord(v)) throw new InvalidArgumentError('malformed request: not an object');
  switch (v.type) {
    case 'ping':
      return { type: 'ping' };
    case 'session-counters':
      if (!count(v.sessionId)) throw new InvalidArgumentError('malformed request: sessionId');
      return { type: 'session-counters', sessionId: v.sessionId };
    case 'tunnel-list':
      if (v.hostIds !== null && !(Array.isArray(v.hostIds) && v.hostIds.length <= maxListed && v.hostIds.every(count))) throw new InvalidArgumentError('malformed request: hostIds');
      return { type: 'tunnel-list', hostIds: v.hostIds === null ? null : [...(v.hostIds as number[])] };
    case 'tunnel-drop':
      if (!count(v.hostId)) throw new InvalidArgumentError('malformed request: hostId');
      if (!Array.isArray(v.fingerprints) || v.fingerprints.length > maxListed || !v.fingerprints.every((f) => typeof f === 'string' && f.length <= 128)) {
        throw new InvalidArgumentError('malformed request: fingerprints');
      }
      return { type: 'tunnel-drop', hostId: v.hostId, fingerprints: [...(v.fingerprints as string[])] };
    default:
      throw new InvalidArgumentError(`unknown request type ${JSON.stringify(v.type)}`);
  }
}

/** Validates the value of an answer to `req`. */
function checkValue<R extends PeerRequest>(req: R, v: unknown): PeerReply<R> {
  const type: PeerRequest['type'] = req.type;
  switch (type) {
    case 'ping':
      if (isRecord(v) && typeof v.node === 'string' && typeof v.version === 'string') return { node: v.node, version: v.version } as PeerReply<R>;
      break;
    case 'session-counters':
      if (v === null) return null as PeerReply<R>;
      if (isRecord(v) && count(v.bytesUp) && count(v.bytesDown)) return { bytesUp: v.bytesUp, bytesDown: v.bytesDown } as PeerReply<R>;
      break;
    case 'tunnel-list':
      if (Array.isArray(v) && v.length <= maxListed) {
        const views = v.map(connectorView);
        if (views.every((x) => x !== null)) return views as PeerReply<R>;
      }
      break;
    case 'tunnel-drop':
      if (isRecord(v) && count(v.dropped)) return { dropped: v.dropped } as PeerReply<R>;
      break;
    default: {
      const never: never = type;
      return never;
    }
  }
  throw new InvalidArgumentError(`malformed ${req.type} answer`);
}

/** Parses the answer to `req`: its value, or the remote error as a thrown InvalidArgumentError. */
export function parseReply<R extends PeerRequest>(req: R, text: string): PeerReply<R> {
  const v = parseJson(text, 'answer');
  if (!isRecord(v) || typeof v.ok !== 'boolean') throw new InvalidArgumentError('malformed answer');
  if (!v.ok) throw new InvalidArgumentError(`the peer refused the request: ${typeof v.error === 'string' ? v.error.slice(0, 200) : 'unknown error'}`);
  return checkValue(req, v.value);
}

const text = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/** Narrows one listed connector; null when malformed. */
function connectorView(v: unknown): ConnectorView | null {
  if (!isRecord(v) || !count(v.id) || !count(v.hostId) || !count(v.lastUsed)) return null;
  if (!text(v.hostName, 255) || !text(v.node, 255) || !text(v.remote, 255) || !text(v.since, 64) || !text(v.fingerprint, 128)) return null;
  return { id: v.id, hostId: v.hostId, hostName: v.hostName, node: v.node, remote: v.remote, since: v.since, fingerprint: v.fingerprint, lastUsed: v.lastUsed };
}

/** Parses the destination of a stream channel opened on the link; throws InvalidArgumentError on anything unexpected. */
export function parseChannel(text: string): PeerChannel {
  if (Buffer.byteLength(text) > maxRequestBytes) throw new InvalidArgumentError('channel request too large');
  const v = parseJson(text, 'channel request');
  if (!isRecord(v)) throw new InvalidArgumentError('malformed channel request: not an object');
  switch (v.type) {
    case 'tunnel':
      if (!count(v.hostId) || !count(v.connectorId)) throw new InvalidArgumentError('malformed channel request: hostId, connectorId');
      return { type: 'tunnel', hostId: v.hostId, connectorId: v.connectorId };
    default:
      throw new InvalidArgumentError(`unknown channel type ${JSON.stringify(v.type)}`);
  }
}
