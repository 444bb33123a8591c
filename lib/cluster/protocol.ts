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

/** Requests answered with one JSON value. */
export type AnsweredRequest =
  | { type: 'ping' }
  | { type: 'session-counters'; sessionId: number }
  /** The asked node's live tunnel connectors (of `hostIds`, or all). */
  | { type: 'tunnel-list'; hostIds: number[] | null }
  /** Drop the asked node's connectors of `hostId` using `fingerprints` (all when empty): their keys were revoked. */
  | { type: 'tunnel-drop'; hostId: number; fingerprints: string[] }
  /** How many connectors of `hostId` the asked node holds, pending ones included (the cluster-wide cap). */
  | { type: 'tunnel-count'; hostId: number }
  /** Ends a live session: its owner sees `session terminated by BY[: REASON]`. */
  | { type: 'session-stop'; sessionId: number; by: string; reason: string | null }
  /** How many viewers each session has (same order as asked). */
  | { type: 'session-watchers'; sessionIds: number[] };

/** How a viewer attaches to a live PTY session. */
export type AttachMode = 'watch' | 'join';

/**
 * Requests (an `exec` like the answered ones) whose channel then carries a
 * stream: a header line (an {@link Envelope} as JSON, then `\n`: a refusal
 * keeps its words, which a refused {@link PeerChannel} open cannot), then raw
 * bytes. `live-attach`: the session's screen and live output one way, the
 * joiner's keystrokes the other; `recording-fetch`: the session's first
 * asciicast file.
 */
export type StreamRequest =
  | { type: 'live-attach'; sessionId: number; mode: AttachMode; viewer: string; cols: number; rows: number }
  | { type: 'recording-fetch'; sessionId: number };

/** Every request a node may send to another. */
export type PeerRequest = AnsweredRequest | StreamRequest;

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
  'tunnel-count': { count: number };
  /** false: the session is not live on the asked node. */
  'session-stop': { stopped: boolean };
  'session-watchers': number[];
}

/** Most connectors one answer may list; most ids or fingerprints one request may carry. */
export const maxListed = 256;

/** The answer of request `R`. */
export type PeerReply<R extends AnsweredRequest> = PeerReplies[R['type']];

/** Most session ids one `session-watchers` request may carry. */
const maxWatcherIds = 1000;
/** Longest header line of a stream request's answer. */
export const maxHeaderBytes = 4 * 1024;

/** Whether a request's channel carries a stream after its header. */
export function isStreamRequest(req: PeerRequest): req is StreamRequest {
  return req.type === 'live-attach' || req.type === 'recording-fetch';
}

/** What travels back on stdout. */
export type Envelope = { ok: true; value: unknown } | { ok: false; error: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const size = (v: unknown): v is number => count(v) && v > 0 && v <= 1000;
const label = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255;

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
      return { type: 'tunnel-list', hostIds: v.hostIds === null ? null : [...(v.hostIds)] };
    case 'tunnel-drop':
      if (!count(v.hostId)) throw new InvalidArgumentError('malformed request: hostId');
      if (!Array.isArray(v.fingerprints) || v.fingerprints.length > maxListed || !v.fingerprints.every((f) => typeof f === 'string' && f.length <= 128)) {
        throw new InvalidArgumentError('malformed request: fingerprints');
      }
      return { type: 'tunnel-drop', hostId: v.hostId, fingerprints: [...(v.fingerprints as string[])] };
    case 'tunnel-count':
      if (!count(v.hostId)) throw new InvalidArgumentError('malformed request: hostId');
      return { type: 'tunnel-count', hostId: v.hostId };
    default:
      return parseLiveRequest(v);
  }
}

/** The live-session requests (lib/live). */
function parseLiveRequest(v: Record<string, unknown>): PeerRequest {
  switch (v.type) {
    case 'session-stop':
      if (!count(v.sessionId)) throw new InvalidArgumentError('malformed request: sessionId');
      if (!label(v.by)) throw new InvalidArgumentError('malformed request: by');
      if (v.reason !== null && (typeof v.reason !== 'string' || v.reason.length > 1024)) throw new InvalidArgumentError('malformed request: reason');
      return { type: 'session-stop', sessionId: v.sessionId, by: v.by, reason: v.reason };
    case 'session-watchers':
      if (!Array.isArray(v.sessionIds) || v.sessionIds.length > maxWatcherIds || !v.sessionIds.every(count)) throw new InvalidArgumentError('malformed request: sessionIds');
      return { type: 'session-watchers', sessionIds: [...(v.sessionIds)] };
    case 'live-attach':
      if (!count(v.sessionId)) throw new InvalidArgumentError('malformed request: sessionId');
      if (v.mode !== 'watch' && v.mode !== 'join') throw new InvalidArgumentError('malformed request: mode');
      if (!label(v.viewer)) throw new InvalidArgumentError('malformed request: viewer');
      if (!size(v.cols) || !size(v.rows)) throw new InvalidArgumentError('malformed request: size');
      return { type: 'live-attach', sessionId: v.sessionId, mode: v.mode, viewer: v.viewer, cols: v.cols, rows: v.rows };
    case 'recording-fetch':
      if (!count(v.sessionId)) throw new InvalidArgumentError('malformed request: sessionId');
      return { type: 'recording-fetch', sessionId: v.sessionId };
    default:
      throw new InvalidArgumentError(`unknown request type ${JSON.stringify(v.type)}`);
  }
}

/** Validates the value of an answer to `req`. */
function checkValue<R extends AnsweredRequest>(req: R, v: unknown): PeerReply<R> {
  const type: AnsweredRequest['type'] = req.type;
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
    case 'tunnel-count':
      if (isRecord(v) && count(v.count)) return { count: v.count } as PeerReply<R>;
      break;
    case 'session-stop':
      if (isRecord(v) && typeof v.stopped === 'boolean') return { stopped: v.stopped } as PeerReply<R>;
      break;
    case 'session-watchers':
      if (req.type === 'session-watchers' && Array.isArray(v) && v.length === req.sessionIds.length && v.every(count)) return v as PeerReply<R>;
      break;
    default: {
      const never: never = type;
      return never;
    }
  }
  throw new InvalidArgumentError(`malformed ${req.type} answer`);
}

/** Parses the answer to `req`: its value, or the remote error as a thrown InvalidArgumentError. */
export function parseReply<R extends AnsweredRequest>(req: R, text: string): PeerReply<R> {
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

/** The peer's refusal in a stream request's header (its own words), or null when it said yes. */
export function streamRefusal(line: string): string | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'malformed stream header';
  }
  if (!isRecord(v) || typeof v.ok !== 'boolean') return 'malformed stream header';
  if (v.ok) return null;
  return typeof v.error === 'string' ? v.error.slice(0, 200) : 'unknown error';
}
