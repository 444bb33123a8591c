import { expect } from 'chai';
import { parseInviteExpiry, tunnelInviteMessage } from '../../../lib/shell/commands/host-tunnel.js';
import { parseTunnelUrl } from '../../../lib/routing/host-url.js';

describe('shell: host tunnel-invite', () => {
  const cases: [string, number | RegExp][] = [
    ['24h', 86_400_000], ['90m', 5_400_000], ['7d', 7 * 86_400_000], ['30s', /from 1m to 30d/], ['31d', /from 1m to 30d/], ['soon', /expected a duration/],
  ];
  for (const [text, want] of cases) {
    it(`--expires ${text}`, () => {
      if (typeof want === 'number') expect(parseInviteExpiry(text)).to.equal(want);
      else expect(() => parseInviteExpiry(text)).to.throw(want);
    });
  }
  it('prints the token, the exact connector command and the host key line', () => {
    const text = tunnelInviteMessage('pi42', 'TOK', new Date('2030-01-01T00:00:00Z'), { hostKey: 'ssh-ed25519 AAAA', host: 'portal.example', port: 2222 });
    expect(text).to.include('  [portal.example]:2222 ssh-ed25519 AAAA\n');
    expect(text).to.include('  ssh -N -o ExitOnForwardFailure=yes -R 22:localhost:22 host-invite:TOK@portal.example -p 2222\n');
    expect(text).to.include('tunnel:pi42@portal.example -p 2222');
    const plain = tunnelInviteMessage('pi42', 'TOK', new Date(0), { hostKey: 'ssh-ed25519 AAAA', host: null, port: 22 });
    expect(plain).to.include('  <portal address> ssh-ed25519 AAAA\n');
    expect(plain).to.include('host-invite:TOK@<portal address>\n');
  });
});

describe('routing: parseTunnelUrl', () => {
  const cases: [string, string | RegExp][] = [
    ['pi@pi42', 'tunnel://pi@pi42'],
    ['pi@pi42:2222', 'tunnel://pi@pi42:2222'],
    ['tunnel://pi@pi42', 'tunnel://pi@pi42'],
    ['pi42', 'tunnel://root@pi42'],
    ['pi:secret@pi42', /password with --password/],
    ['pi@bad host', /invalid URL/],
  ];
  for (const [input, want] of cases) {
    it(input, () => {
      if (typeof want === 'string') expect(parseTunnelUrl(input).url).to.equal(want);
      else expect(() => parseTunnelUrl(input)).to.throw(want);
    });
  }
});
