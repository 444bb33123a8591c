import { expect } from 'chai';
import { maxListed, maxRequestBytes, parseChannel, parseReply, parseRequest, type PeerChannel, type PeerRequest } from '../../../lib/cluster/protocol.js';

describe('cluster: node link requests', () => {
  const good: [string, PeerRequest][] = [
    ['{"type":"ping"}', { type: 'ping' }],
    ['{"type":"ping","extra":1}', { type: 'ping' }],
    ['{"type":"session-counters","sessionId":42}', { type: 'session-counters', sessionId: 42 }],
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
  ];
  for (const [text, want] of bad) it(`refuses ${text.slice(0, 60)}`, () => expect(() => parseRequest(text)).to.throw(want));
});

describe('cluster: node link answers', () => {
  const counters: PeerRequest = { type: 'session-counters', sessionId: 1 };
  it('returns typed values', () => {
    expect(parseReply({ type: 'ping' }, '{"ok":true,"value":{"node":"a","version":"1"}}')).to.deep.equal({ node: 'a', version: '1' });
    expect(parseReply(counters, '{"ok":true,"value":{"bytesUp":1,"bytesDown":2}}')).to.deep.equal({ bytesUp: 1, bytesDown: 2 });
    expect(parseReply(counters, '{"ok":true,"value":null}')).to.equal(null);
  });
  const bad: [PeerRequest, string, RegExp][] = [
    [counters, '', /not JSON/],
    [counters, '{"ok":"yes"}', /malformed answer/],
    [counters, '{"ok":true,"value":{"bytesUp":-1,"bytesDown":2}}', /malformed session-counters answer/],
    [{ type: 'ping' }, '{"ok":true,"value":null}', /malformed ping answer/],
    [counters, '{"ok":false,"error":"boom"}', /refused the request: boom/],
  ];
  for (const [req, text, want] of bad) it(`refuses ${text || 'nothing'} for ${req.type}`, () => expect(() => parseReply(req, text)).to.throw(want));
});

describe('cluster: node link tunnel requests and stream channels', () => {
  const good: [string, PeerRequest][] = [
    ['{"type":"tunnel-list","hostIds":null}', { type: 'tunnel-list', hostIds: null }],
    ['{"type":"tunnel-list","hostIds":[1,2]}', { type: 'tunnel-list', hostIds: [1, 2] }],
    ['{"type":"tunnel-drop","hostId":3,"fingerprints":[]}', { type: 'tunnel-drop', hostId: 3, fingerprints: [] }],
  ];
  for (const [text, want] of good) it(`parses ${text}`, () => expect(parseRequest(text)).to.deep.equal(want));
  const bad: [string, RegExp][] = [
    ['{"type":"tunnel-list"}', /hostIds/],
    ['{"type":"tunnel-list","hostIds":[-1]}', /hostIds/],
    [`{"type":"tunnel-list","hostIds":[${Array.from({ length: maxListed + 1 }, () => 1).join(',')}]}`, /hostIds/],
    ['{"type":"tunnel-drop","hostId":3}', /fingerprints/],
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
