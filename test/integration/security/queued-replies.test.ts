import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { defaultLimits } from '../../../lib/proxy/limits.js';
import { connectAttacker, pacedFlood, rssMiB, type AttackClient } from '../../support/attack-client.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { waitFor } from '../../support/wait.js';

/** `ssh admin@portal version` through real OpenSSH; resolves with how long it took. */
async function timedAdmin(portal: Portal): Promise<number> {
  const t = Date.now();
  const r = await portal.ssh(['version'], { timeoutMs: 20_000 });
  expect([r.code, r.stdout]).to.deep.equal([0, 'test\n']);
  return Date.now() - t;
}

/**
 * The attack: SSH answers global requests in order, so while one `-R`
 * request waits for a target that does not answer (here: one that accepts
 * TCP and never speaks, so the dial hangs for its 20 s), the answer to every
 * later want-reply request waits too, inside ssh2 and unsent: output
 * backpressure never sees it. A keepalive flood behind one such request grew
 * the portal by about 100 MB per 17 s per connection.
 */
describe('security: requests queued behind one awaiting the target', function () {
  let portal: Portal;
  let silent: Server;
  const held = new Set<Socket>();
  const attackers: AttackClient[] = [];
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3' });
    silent = createServer((s) => { held.add(s); s.on('error', () => undefined); s.on('close', () => held.delete(s)); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const r = await portal.ssh(['host', 'create', '--name', 'silent', `nobody@127.0.0.1:${port}`]);
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => {
    for (const a of attackers) a.sock.destroy();
    for (const s of held) s.destroy();
    await new Promise((r) => silent?.close(r));
    await portal?.close();
  });

  it(`a keepalive flood behind a pending -R request ends the connection after ${defaultLimits.maxQueuedReplies}; RSS bounded; admin answered within 2 s`, async () => {
    const rssBefore = rssMiB();
    const a = await connectAttacker(portal.port, 'silent', readFileSync(portal.adminKey, 'utf8'));
    attackers.push(a);
    a.client.forwardIn('127.0.0.1', 20_000, () => undefined);
    // The request is relayed once access is decided, then waits for the dial.
    await waitFor(() => portal.logs.some((l) => l.includes('session opened')), 5_000, 'the access decision');
    const ping = (a.client as unknown as { _protocol: { ping(): void } })._protocol;
    const flood = await pacedFlood(a, 10_000, () => ping.ping());
    expect(flood.closed, JSON.stringify(flood)).to.equal(true);
    expect(flood.count).to.be.above(defaultLimits.maxQueuedReplies);
    expect(portal.logs.filter((l) => l.includes('connection limit reached, refusing') && l.includes('queued replies'))).to.have.length(1);
    expect(await timedAdmin(portal)).to.be.below(2_000);
    expect(rssMiB() - rssBefore).to.be.below(200);
  });

  it('a client that waits for its -R answer (as OpenSSH does) is not cut', async () => {
    const a = await connectAttacker(portal.port, 'silent', readFileSync(portal.adminKey, 'utf8'));
    attackers.push(a);
    a.client.forwardIn('127.0.0.1', 20_001, () => undefined);
    const ping = (a.client as unknown as { _protocol: { ping(): void } })._protocol;
    // A handful of keepalives while the dial hangs: far below the limit.
    for (let i = 0; i < 20; i++) ping.ping();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(a.sock.destroyed).to.equal(false);
  });
});
