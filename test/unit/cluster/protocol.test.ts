import { expect } from 'chai';
import {
  maxListed, maxRequestBytes, parseChannel, parseReply, parseRequest, streamRefusal, type AnsweredRequest, type PeerChannel, type PeerRequest,
} from '../../../lib/cluster/protocol.js';

describe('cluster: node link requests', () => {
  const good: [string, PeerRequest][] = [
    ['{"type":"ping"}', { type: 'ping' }],
    ['{"type":"ping","extra":1}', { type: 'ping' }],
    ['{"type":"session-counters","sessionId":42}', { type: 'session-counters', sessionId: 42 }],
    ['{"type":"session-stop","sessionId":4,"by":"admin","reason":null}', { type: 'session-stop', sessionId: 4, by: 'admin', reason: null }],
    ['{"type":"session-stop","sessionId":4,"by":"admin","reason":"oops"}', { type: 'session-stop', sessionId: 4, by: 'admin', reason: 'oops' }],
    ['{"type":"session-watchers","sessionIds":[1,2]}', { type: 'session-watchers', sessionIds: [1, 2] }],
    ['{"type":"live-attach","sessionId":3,"mode":"join","viewer":"bob","cols":80,"rows":24}', { type: 'live-attach', sessionId: 3, mode: 'join', viewer: 'bob', cols: 80, rows: 24 }],
    ['{"type":"recording-fetch","sessionId":3}', { type: 'recording-fetch', sessionId: 3 }],
  ];
  for (const [text, want] of good) it(`parses ${text}`, () => expect(parseRequest(text)).to.deep.equal(want));

  const bad: [string, RegExp][] = [
    ['', /not JSON/],
    ['nope', /not JSON/],
    ['[]', /not an object/],
    ['null', /not an object/],
    ['{"type":"rm -rf"}', /unknown request type "rm -rf"/],
    ['{}', /unknown request type/],
    ['{"type":"session-counters"}', /sessionId/],
    ['{"type":"session-counters","sessionId":-1}', /sessionId/],
    ['{"type":"session-counters","sessionId":1.5}', /sessionId/],
    ['{"type":"session-counters","sessionId":"1"}', /sessionId/],
    [`{"type":"ping","pad":"${'x'.repeat(maxRequestBytes)}"}`, /too large/],
    ['{"type":"session-stop","sessionId":4,"by":"","reason":null}', /by/],
    ['{"type":"session-stop","sessionId":4,"by":"a","reason":5}', /reason/],
    ['{"type":"session-watchers","sessionIds":[-1]}', /sessionIds/],
    [`{"type":"session-watchers","sessionIds":[${Array(1001).fill(1).join(',')}]}`, /sessionIds/],
    ['{"type":"live-attach","sessionId":3,"mode":"drive","viewer":"bob","cols":80,"rows":24}', /mode/],
    ['{"type":"live-attach","sessionId":3,"mode":"watch","viewer":"bob","cols":0,"rows":24}', /size/],
    ['{"type":"live-attach","sessionId":3,"mode":"watch","viewer":"bob","cols":80,"rows":100000}', /size/],
    ['{"type":"recording-fetch","sessionId":"../x"}', /sessionId/],
  ];
  for (const [text, want] of bad) it(`refuses ${text.slice(0, 60)}`, () => expect(() => parseRequest(text)).to.throw(want));
});

describe('cluster: node link answers', () => {
  const counters: AnsweredRequest = { type: 'session-counters', sessionId: 1 };
  it('returns typed values', () => {
    expect(parseReply({ type: 'ping' }, '{"ok":true,"value":{"node":"a","version":"1"}}')).to.deep.equal({ node: 'a', version: '1' });
    expect(parseReply(counters, '{"ok":true,"value":{"bytesUp":1,"bytesDown":2}}')).to.deep.equal({ bytesUp: 1, bytesDown: 2 });
    expect(parseReply(counters, '{"ok":true,"value":null}')).to.equal(null);
  });
  const bad: [AnsweredRequest, string, RegExp][] = [
    [counters, '', /not JSON/],
    [counters, '{"ok":"yes"}', /malformed answer/],
    [counters, '{"ok":true,"value":{"bytesUp":-1,"bytesDown":2}}', /malformed session-counters answer/],
    [{ type: 'ping' }, '{"ok":true,"value":null}', /malformed ping answer/],
    [counters, '{"ok":false,"error":"boom"}', /refused the request: boom/],
    [{ type: 'session-watchers', sessionIds: [1, 2] }, '{"ok":true,"value":[1]}', /malformed session-watchers answer/],
    [{ type: 'session-stop', sessionId: 1, by: 'a', reason: null }, '{"ok":true,"value":{}}', /malformed session-stop answer/],
  ];
  for (const [req, text, want] of bad) it(`refuses ${text || 'nothing'} for ${req.type}`, () => expect(() => parseReply(req, text)).to.throw(want));
});

describe('cluster: node link tunnel requests and stream channels', () => {
  const good: [string, PeerRequest][] = [
    ['{"type":"tunnel-list","hostIds":null}', { type: 'tunnel-list', hostIds: null }],
    ['{"type":"tunnel-list","hostIds":[1,2]}', { type: 'tunnel-list', hostIds: [1, 2] }],
    ['{"type":"tunnel-drop","hostId":3,"fingerprints":[]}', { type: 'tunnel-drop', hostId: 3, fingerprints: [] }],
    ['{"type":"tunnel-count","hostId":3}', { type: 'tunnel-count', hostId: 3 }],
  ];
  for (const [text, want] of good) it(`parses ${text}`, () => expect(parseRequest(text)).to.deep.equal(want));
  const bad: [string, RegExp][] = [
    ['{"type":"tunnel-list"}', /hostIds/],
    ['{"type":"tunnel-list","hostIds":[-1]}', /hostIds/],
    [`{"type":"tunnel-list","hostIds":[${Array.from({ length: maxListed + 1 }, () => 1).join(',')}]}`, /hostIds/],
    ['{"type":"tunnel-drop","hostId":3}', /fingerprints/],
    ['{"type":"tunnel-count"}', /hostId/],
    ['{"type":"tunnel-count","hostId":"3"}', /hostId/],
    ['{"type":"tunnel-drop","hostId":3,"fingerprints":[1]}', /fingerprints/],
    [`{"type":"tunnel-drop","hostId":3,"fingerprints":["${'x'.repeat(129)}"]}`, /fingerprints/],
  ];
  for (const [text, want] of bad) it(`refuses ${text.slice(0, 60)}`, () => expect(() => parseRequest(text)).to.throw(want));

  const view = { id: 1, hostId: 2, hostName: 'pi42', node: 'a', remote: '10.0.0.1:5', since: '2030-01-01T00:00:00.000Z', fingerprint: 'SHA256:x', lastUsed: 5 };
  it('returns listed connectors, refuses malformed ones', () => {
    const list: PeerRequest = { type: 'tunnel-list', hostIds: null };
    expect(parseReply(list, JSON.stringify({ ok: true, value: [view] }))).to.deep.equal([view]);
    expect(() => parseReply(list, JSON.stringify({ ok: true, value: [{ ...view, id: -1 }] }))).to.throw(/malformed tunnel-list answer/);
    expect(() => parseReply(list, JSON.stringify({ ok: true, value: [{ ...view, hostName: 'x'.repeat(300) }] }))).to.throw(/malformed/);
    expect(parseReply({ type: 'tunnel-drop', hostId: 1, fingerprints: [] }, '{"ok":true,"value":{"dropped":2}}')).to.deep.equal({ dropped: 2 });
    expect(parseReply({ type: 'tunnel-count', hostId: 1 }, '{"ok":true,"value":{"count":3}}')).to.deep.equal({ count: 3 });
    expect(() => parseReply({ type: 'tunnel-count', hostId: 1 }, '{"ok":true,"value":{"count":-1}}')).to.throw(/malformed tunnel-count answer/);
  });

  const channels: [string, PeerChannel | RegExp][] = [
    ['{"type":"tunnel","hostId":1,"connectorId":2}', { type: 'tunnel', hostId: 1, connectorId: 2 }],
    ['{"type":"tunnel","hostId":1}', /connectorId/],
    ['{"type":"shell"}', /unknown channel type "shell"/],
    ['127.0.0.1', /not JSON/],
    [`{"type":"tunnel","pad":"${'x'.repeat(maxRequestBytes)}"}`, /too large/],
  ];
  for (const [text, want] of channels) {
    it(`channel ${text.slice(0, 50)}`, () => {
      if (want instanceof RegExp) expect(() => parseChannel(text)).to.throw(want);
      else expect(parseChannel(text)).to.deep.equal(want);
    });
  }
});

describe('cluster: stream headers', () => {
  const cases: [string, string | null][] = [
    ['{"ok":true,"value":null}', null],
    ['{"ok":false,"error":"session 3 is not live on node-a"}', 'session 3 is not live on node-a'],
    ['{"ok":false}', 'unknown error'],
    ['garbage', 'malformed stream header'],
    ['{"ok":1}', 'malformed stream header'],
  ];
  for (const [line, want] of cases) it(`reads ${line}`, () => expect(streamRefusal(line)).to.equal(want));
});
