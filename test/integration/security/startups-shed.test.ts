/**
 * Connections the portal drops to make room (--max-startups) are its load,
 * not failed logins: a burst of logins from one address (an office behind
 * NAT, a deploy tool with many forks) must not put that address in
 * authentication cool-down because some were shed.
 */
import { expect } from 'chai';
import { connect } from 'node:net';
import ssh2 from 'ssh2';
import { startPortal, type Portal } from '../../support/portal.js';
import { waitFor } from '../../support/wait.js';

const ADDRESS = '127.0.0.6';

/** A client from ADDRESS that makes one authentication attempt (a wrong password), then never makes another. */
function stuckInAuthentication(port: number): Promise<{ client: ssh2.Client; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', localAddress: ADDRESS });
    sock.on('error', () => undefined);
    const client = new ssh2.Client();
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    client.on('error', () => undefined);
    client.once('close', () => reject(new Error('closed before its first attempt was refused')));
    let attempts = 0;
    const authHandler: ssh2.AuthHandlerMiddleware = (_methodsLeft, _partial, next) => {
      if (attempts++ === 0) return next({ type: 'password', username: 'web', password: 'wrong' });
      // Refused: stay there without a second attempt, as a slow client would.
      resolve({ client, closed });
    };
    client.connect({ sock, username: 'web', authHandler, hostVerifier: () => true, readyTimeout: 20_000 });
  });
}

describe('security on sqlite3: connections shed at --max-startups are not failed logins', function () {
  this.timeout(60_000);
  let portal: Portal;
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3', flags: { maxStartups: '3', maxAuthFailures: '2', authCooldown: '10m' }, logLevel: 'info' });
  });
  after(async () => { await portal?.close(); });

  it('sheds the oldest of a burst and still lets the address in', async () => {
    const first = [];
    for (let i = 0; i < 3; i++) first.push(await stuckInAuthentication(portal.port));
    const second = [];
    for (let i = 0; i < 3; i++) second.push(await stuckInAuthentication(portal.port));
    try {
      await Promise.all(first.map((c) => c.closed));
      // Three shed, one log line: a flood of connections must not be a flood of lines (the next says how many it held).
      expect(portal.logs.filter((l) => l.includes('dropping the oldest unauthenticated connection'))).to.have.length(1);
      // Three shed connections, each with an attempt: counted, they would exceed --max-auth-failures 2.
      const r = await portal.ssh(['version'], { extra: ['-o', `BindAddress=${ADDRESS}`] });
      expect([r.code, r.stdout, r.stderr]).to.deep.equal([0, 'test\n', '']);
      expect(portal.logs.some((l) => l.includes('address in authentication cool-down'))).to.equal(false);
    } finally {
      for (const c of [...first, ...second]) c.client.end();
    }
    // The survivors are still counted when they give up on their own: the throttle still works.
    await Promise.all(second.map((c) => c.closed));
    await waitFor(() => portal.logs.some((l) => l.includes('address in authentication cool-down')), 5_000, 'the cool-down after real failures');
  });
});
