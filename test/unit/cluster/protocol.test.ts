import { expect } from 'chai';
import { maxRequestBytes, parseReply, parseRequest, type PeerRequest } from '../../../lib/cluster/protocol.js';

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
