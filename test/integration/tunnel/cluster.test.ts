import { expect } from 'chai';
import { Host, Session, TunnelKey } from '../../../lib/db/entities/index.js';
import { Held } from '../../support/held-ssh.js';
import type { SshdTarget } from '../../support/sshd.js';
import { newKey, startCluster, waitFor, type Cluster, type Node } from '../cluster/nodes.js';
import { connect, Connector, tunnelEvents } from './connector.js';

describe('tunnel hosts across a cluster (MariaDB): connector on node A, user on node B', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let a: Node;
  let b: Node;
  let target: SshdTarget;
  let adminKey: string;
  let connector: Connector | undefined;
  let connectorKey: string;

  before(async function () {
    // One after the other: node-a's connector must be the one every test reaches through.
    cluster = await startCluster(this, { prefix: 'sshportal-tunnel-cluster-', names: ['node-a', 'node-b'], sequential: true });
    [a, b] = cluster.nodes as [Node, Node];
    ({ target, adminKey } = cluster);
    expect((await a.ssh(['host', 'create', '--tunnel', `${target.user}@pi42`])).code).to.equal(0);
    const invite = await a.ssh(['host', 'tunnel-invite', 'pi42']);
    const tok = /host-invite:([A-Za-z0-9]+)@/.exec(invite.stdout)?.[1] ?? '';
    connectorKey = newKey(cluster.dir, 'connector_key');
    connector = await connect(a, connectorKey, `host-invite:${tok}`, `22:127.0.0.1:${target.port}`, 'pi42');
  });
  after(async () => {
    await connector?.kill();
    await cluster?.close();
  });

  it('serves a user on B through the connector held by A; B keeps the session row', async () => {
    const r = await b.ssh(['echo', 'from-b'], { login: 'pi42' });
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([0, 'from-b\n', '']);
    const last = await b.app.db.manager.findOneOrFail(Session, { where: {}, order: { id: 'DESC' } });
    expect(last.node).to.equal('node-b');
  });

  it('host tunnels on either node lists the connector of every node', async () => {
    for (const n of [a, b]) {
      const r = await n.ssh(['host', 'tunnels']);
      expect(r.stdout).to.match(/pi42\s.*node-a\s/);
    }
  });

  it('ends the user session on B when the connector on A dies', async () => {
    const held = new Held(b.port, adminKey, 'pi42', ['echo ready; sleep 60']);
    await waitFor(() => held.out.includes('ready'), 15_000, 'the session to start');
    const killedAt = Date.now();
    await connector?.kill();
    const code = await held.exited;
    expect(Date.now() - killedAt).to.be.lessThan(10_000);
    expect(code).to.equal(255);
    // 'exit' may come before the last stderr bytes were read.
    await waitFor(() => held.err.includes('error: connection to pi42 lost (connector disconnected)'), 3_000, `the lost line, got ${JSON.stringify(held.err)}`);
    const r = await b.ssh(['true'], { login: 'pi42' });
    expect([r.code, r.stderr]).to.deep.equal([1, 'error: pi42 is a tunnel host and no connector is online\n']);
  });

  it('host tunnel-revoke on B drops the connector held by A', async () => {
    connector = await connect(a, connectorKey, 'tunnel:pi42', `22:127.0.0.1:${target.port}`, 'pi42');
    const r = await b.ssh(['host', 'tunnel-revoke', 'pi42']);
    expect(r.stdout).to.equal('1 connector key(s) revoked, 1 live connector(s) dropped\n');
    await connector.exited;
    expect((await b.ssh(['host', 'tunnels'])).stdout).to.include('Total: 0 connectors.');
  });

  it('prefers a connector on the node the user arrived at', async () => {
    const tok = /host-invite:([A-Za-z0-9]+)@/.exec((await a.ssh(['host', 'tunnel-invite', 'pi42'])).stdout)?.[1] ?? '';
    const key = newKey(cluster.dir, 'connector_key2');
    const onA = await connect(a, key, `host-invite:${tok}`, `22:127.0.0.1:${target.port}`, 'pi42');
    const onB = await connect(b, key, 'tunnel:pi42', `22:127.0.0.1:${target.port}`, 'pi42');
    try {
      const held = new Held(a.port, adminKey, 'pi42', ['echo ready; sleep 60']);
      await waitFor(() => held.out.includes('ready'), 15_000, 'the session on A to start');
      // The session on A goes through A's connector: B's dying leaves it alone.
      await onB.kill();
      await new Promise((r) => setTimeout(r, 1_500));
      expect([held.err, held.child.exitCode]).to.deep.equal(['', null]);
      held.child.kill();
      await held.exited;
    } finally {
      await onA.kill();
      await onB.kill();
    }
  });

  it('caps connectors per host cluster-wide: a 5th is refused on either node with one line and an event; host rm drops them all', async () => {
    expect((await a.ssh(['host', 'create', '--tunnel', `${target.user}@pi50`])).code).to.equal(0);
    const tok = /host-invite:([A-Za-z0-9]+)@/.exec((await b.ssh(['host', 'tunnel-invite', 'pi50'])).stdout)?.[1] ?? '';
    const key = newKey(cluster.dir, 'connector_key50');
    const host = await a.app.db.manager.findOneByOrFail(Host, { name: 'pi50' });
    const fwd = `22:127.0.0.1:${target.port}`;
    const live = [await connect(a, key, `host-invite:${tok}`, fwd, 'pi50')];
    try {
      live.push(await connect(a, key, 'tunnel:pi50', fwd, 'pi50'));
      live.push(await connect(b, key, 'tunnel:pi50', fwd, 'pi50'));
      live.push(await connect(b, key, 'tunnel:pi50', fwd, 'pi50'));
      for (const n of [a, b]) {
        const before = await tunnelEvents(n, 'refused', 'pi50');
        const fifth = new Connector(n.port, key, 'tunnel:pi50', fwd);
        expect(await fifth.exited).to.not.equal(0);
        expect(fifth.err).to.include("error: tunnel host 'pi50' already has 4 connectors online");
        expect(fifth.err.match(/already has 4 connectors online/g)).to.have.length(1);
        await waitFor(async () => (await tunnelEvents(n, 'refused', 'pi50')) > before, 5_000, 'the refused event');
        await new Promise((r) => setTimeout(r, 500));
        expect(await tunnelEvents(n, 'refused', 'pi50'), 'one refused event').to.equal(before + 1);
      }
      expect((await a.ssh(['host', 'tunnels', 'pi50'])).stdout).to.include('Total: 4 connectors.');
      expect((await b.ssh(['echo', 'still-served'], { login: 'pi50' })).stdout).to.equal('still-served\n');
      // host rm on A drops the connectors held by both nodes; the key goes with the host.
      const rm = await a.ssh(['host', 'rm', 'pi50']);
      expect(rm.code, rm.stderr).to.equal(0);
      const exited = await Promise.race([Promise.all(live.map((c) => c.exited)).then(() => true), new Promise((r) => setTimeout(() => r(false), 15_000))]);
      expect(exited, 'every connector of pi50 dropped').to.equal(true);
      expect(await a.app.db.manager.countBy(TunnelKey, { hostId: host.id })).to.equal(0);
    } finally {
      await Promise.all(live.map((c) => c.kill()));
    }
  });
});
