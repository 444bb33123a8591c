import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { startPortal, type Portal } from '../../support/portal.js';
import { closedWithin } from '../../support/wait.js';

/** A raw TCP connection to `host:port` from 127.0.0.1:`localPort` that never says a word. */
function silent(host: string, port: number, localPort: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, localAddress: '127.0.0.1', localPort }, () => resolve(s));
    s.once('error', reject);
    // Read (and discard) the portal's identification, so that only the portal can end the connection.
    s.resume();
  });
}

/**
 * Two connections may come from the same address and port: one to each
 * address of a portal listening on all of them. The listener looked sockets
 * up by the peer's `ip:port`: the second replaced the first, whose login grace
 * timer then dropped the second, and the first stayed unauthenticated for good,
 * out of reach of --max-startups' shedding (a way to fill --max-connections).
 */
describe('security: two connections from the same source address and port', function () {
  let portal: Portal;
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3', flags: { bindAddress: '0.0.0.0:0', loginGraceTime: '1s' } });
  });
  after(async () => { await portal?.close(); });

  it('each is dropped at its own login grace time', async () => {
    const localPort = 20_000 + Math.floor(Math.random() * 10_000);
    const first = await silent('127.0.0.1', portal.port, localPort);
    const second = await silent('127.0.0.2', portal.port, localPort);
    try {
      // Grace 1 s, then up to 1 s for the peer to read the disconnect: both gone well within 5 s.
      const [a, b] = await Promise.all([closedWithin(first, 5_000), closedWithin(second, 5_000)]);
      expect(a, 'the first connection closed by the portal after (ms)').to.not.equal(null);
      expect(b, 'the second connection closed by the portal after (ms)').to.not.equal(null);
    } finally {
      first.destroy();
      second.destroy();
    }
  });
});
