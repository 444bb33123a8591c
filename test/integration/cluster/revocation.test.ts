/**
 * Revocation on every node: access taken away through node A ends, within
 * 5 s, a ControlMaster connection living on node B that opens nothing new
 * (only node B's periodic re-check can see it), with an event.
 */
import { expect } from 'chai';
import { openTunnel, startMaster } from '../../support/mux.js';
import type { SshdTarget } from '../../support/sshd.js';
import { addWebHost, adminAnswersQuickly, enroll, revocations, revoke, revokeEvents, waitForRevokeEvents, type AdminRun } from '../security/revocation-kit.js';
import { startCluster, waitFor, type Cluster, type Node } from './nodes.js';

/** Revocation must reach a live connection within this time. */
const WITHIN_MS = 5_000;

describe('cluster revocation: revoked through node A, live connections on node B end within 5 s', function () {
  this.timeout(180_000);
  let cluster: Cluster;
  let dir = '';
  let a: Node;
  let b: Node;
  let target: SshdTarget;
  let rssBefore = 0;
  const adminA: AdminRun = (args) => a.ssh(args);
  const adminB: AdminRun = (args) => b.ssh(args);
  const measured: string[] = [];

  before(async function () {
    cluster = await startCluster(this, { prefix: 'sshportal-revocation-', names: ['node-a', 'node-b'] });
    [a, b] = cluster.nodes as [Node, Node];
    ({ target, dir } = cluster);
    await addWebHost(adminA, target);
    rssBefore = process.memoryUsage().rss;
  });
  after(async () => {
    if (measured.length > 0) console.log(`      revocation → connection ended: ${measured.join(', ')}`);
    await cluster?.close();
  });

  revocations.forEach((kind, i) => {
    it(`${kind}: the session, the -L tunnel and the connection on node B end, with an event`, async () => {
      const m = a.app.db.manager;
      const name = `cl${i}`;
      const u = await enroll(adminA, m, a.port, dir, name, kind);
      const master = await startMaster(b.port, u.key, 'web01', dir, name);
      try {
        const held = master.hold(['cat']);
        const local = await master.forward(`127.0.0.1:${target.port}`);
        const tunnel = await openTunnel(local, /^SSH-2\.0-/);
        expect(tunnel.received()).to.match(/^SSH-2\.0-/);
        expect(await master.alive()).to.equal(true);

        await revoke(adminA, kind, u);
        const start = Date.now();
        const [answerMs] = await Promise.all([
          adminAnswersQuickly(adminB),
          waitFor(async () => !(await master.alive()), WITHIN_MS, 'the connection on node B to end'),
        ]);
        const endedMs = Date.now() - start;
        measured.push(`${kind} ${endedMs} ms (admin on B answered in ${answerMs} ms)`);
        expect(await held.exited).to.not.equal(0);
        expect(held.stderr()).to.match(/^error: access revoked: /m);
        await tunnel.closed;
        const events = await waitForRevokeEvents(m, name, 1);
        expect(events.map((e) => [e.login, e.node])).to.deep.equal([['host', 'node-b']]);
      } finally {
        await master.exit();
      }
    });
  });

  const shellCases = [
    { what: 'its admin role is removed', revoke: (n: string) => ['user', 'update', '--unassign-role', 'admin', n], reason: /role admin removed/ },
    { what: 'it is removed', revoke: (n: string) => ['user', 'rm', n], reason: /user removed/ },
  ];
  shellCases.forEach((c, i) => {
    it(`admin shell on node B ends when ${c.what} through node A`, async () => {
      const m = a.app.db.manager;
      const name = `clboss${i}`;
      const u = await enroll(adminA, m, a.port, dir, name);
      expect((await adminA(['user', 'update', '--assign-role', 'admin', name])).code).to.equal(0);
      const master = await startMaster(b.port, u.key, 'admin', dir, name);
      try {
        const shell = master.hold([]);
        expect((await master.run(['user', 'ls'])).code).to.equal(0);
        expect((await adminA(c.revoke(name))).code).to.equal(0);
        const start = Date.now();
        await waitFor(async () => !(await master.alive()), WITHIN_MS, 'the admin shell connection on node B to end');
        measured.push(`shell, ${c.what} ${Date.now() - start} ms`);
        await shell.exited;
        expect(shell.stderr()).to.match(c.reason);
        expect((await waitForRevokeEvents(m, name, 1)).map((e) => [e.login, e.node])).to.deep.equal([['shell', 'node-b']]);
      } finally {
        await master.exit();
      }
    });
  });

  it('keeps a connection whose access did not change', async () => {
    const m = a.app.db.manager;
    const u = await enroll(adminA, m, a.port, dir, 'steady');
    const master = await startMaster(b.port, u.key, 'web01', dir, 'steady');
    try {
      // Several re-check rounds of node B, while other users are revoked.
      await new Promise((r) => setTimeout(r, 6_000));
      expect(await master.alive()).to.equal(true);
      const r = await master.run(['echo', 'still']);
      expect([r.code, r.stdout]).to.deep.equal([0, 'still\n']);
      expect(await revokeEvents(m, 'steady')).to.deep.equal([]);
    } finally {
      await master.exit();
    }
  });

  it('keeps the portal within +200 MB of RSS', () => {
    expect(process.memoryUsage().rss - rssBefore).to.be.below(200 * 1024 * 1024);
  });
});
