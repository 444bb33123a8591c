import { expect } from 'chai';
import { createRequire } from 'node:module';
import { hostKeyAnnouncement, hostKeyAnnouncementsDropped } from '../../../lib/ssh/host-key-announcements.js';

/** A GLOBAL_REQUEST payload: message byte, name, want_reply, then `rest`. */
function request(name: string, wantReply: boolean, rest = Buffer.alloc(0), type = 80): Buffer {
  const n = Buffer.from(name, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(n.length);
  return Buffer.concat([Buffer.from([type]), len, n, Buffer.from([wantReply ? 1 : 0]), rest]);
}

describe('ssh/host-key-announcements', () => {
  const cases: Array<[string, Buffer, { wantReply: boolean } | undefined]> = [
    ['an announcement without reply', request('hostkeys-00@openssh.com', false, Buffer.from([0, 0, 0, 1, 7])), { wantReply: false }],
    ['an announcement asking for a reply', request('hostkeys-00@openssh.com', true), { wantReply: true }],
    ['the proof request is not one', request('hostkeys-prove-00@openssh.com', true), undefined],
    ['a keepalive is not one', request('keepalive@openssh.com', true), undefined],
    ['a forward request is not one', request('tcpip-forward', true, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0])), undefined],
    ['a prefix of the name is not one', request('hostkeys-00@openssh.co', false), undefined],
    ['another message type is not one', request('hostkeys-00@openssh.com', false, Buffer.alloc(0), 81), undefined],
    ['a payload cut before want_reply is not one', request('hostkeys-00@openssh.com', false).subarray(0, 28), undefined],
    ['an empty payload is not one', Buffer.alloc(0), undefined],
  ];
  for (const [what, payload, expected] of cases) {
    it(what, () => expect(hostKeyAnnouncement(payload)).to.deep.equal(expected));
  }

  describe("in ssh2's handler table", () => {
    const table = createRequire(import.meta.url)('ssh2/lib/protocol/handlers.js') as Array<(self: unknown, payload: Buffer) => unknown>;
    const handle = (payload: Buffer): { failures: number; requests: Array<[string, boolean, unknown]> } => {
      const seen = { failures: 0, requests: [] as Array<[string, boolean, unknown]> };
      const self = {
        requestFailure: () => { seen.failures++; },
        _debug: undefined,
        _handlers: { GLOBAL_REQUEST: (_p: unknown, name: string, wantReply: boolean, data: unknown) => { seen.requests.push([name, wantReply, data]); } },
      };
      table[80]?.(self, payload);
      return seen;
    };

    it('is installed', () => expect(hostKeyAnnouncementsDropped).to.equal(true));
    it('an announcement never reaches the connection', () => expect(handle(request('hostkeys-00@openssh.com', false))).to.deep.equal({ failures: 0, requests: [] }));
    it('an announcement asking for a reply is refused', () => expect(handle(request('hostkeys-00@openssh.com', true))).to.deep.equal({ failures: 1, requests: [] }));
    it('other requests still reach the connection', () => {
      const seen = handle(request('keepalive@openssh.com', true));
      expect(seen.requests.map(([name, wantReply]) => [name, wantReply])).to.deep.equal([['keepalive@openssh.com', true]]);
    });
  });
});
