import { expect } from 'chai';
import { Acl, Event, HostGroup, SshKey, User, UserRole } from '../../../lib/db/entities/index.js';
import { runProcess } from '../../support/process.js';
import type { SshdTarget } from '../../support/sshd.js';
import { startCluster, waitFor, type Cluster, type Node } from './nodes.js';

async function keyscan(port: number): Promise<string> {
  const r = await runProcess('ssh-keyscan', ['-p', String(port), '-t', 'ed25519', '127.0.0.1'], { timeoutMs: 15_000 });
  const line = r.stdout.split('\n').find((l) => l.includes('ssh-ed25519'));
  if (!line) throw new Error(`ssh-keyscan found no key on port ${port}: ${r.stderr}`);
  // "[127.0.0.1]:port ssh-ed25519 AAAA…": drop the address, which differs per node.
  return line.split(' ').slice(1).join(' ');
}

describe('cluster: two portal nodes on one MariaDB database', function () {
  this.timeout(120_000);
  let cluster: Cluster;
  let a: Node;
  let b: Node;
  let target: SshdTarget;

  before(async function () {
    // Both nodes start together on the empty database: migrations and bootstrap race.
    cluster = await startCluster(this, { prefix: 'sshportal-cluster-', names: ['node-a', 'node-b'] });
    [a, b] = cluster.nodes as [Node, Node];
    target = cluster.target;
  });
  after(async () => {
    await cluster?.close();
  });

  it('bootstraps once when both nodes start together', async () => {
    const m = a.app.db.manager;
    expect(await m.countBy(SshKey, { name: 'host' })).to.equal(1);
    expect(await m.countBy(SshKey, { name: 'default' })).to.equal(1);
    expect(await m.countBy(HostGroup, { name: 'default' })).to.equal(1);
    expect(await m.countBy(UserRole, { name: 'admin' })).to.equal(1);
    expect(await m.count(User)).to.equal(1);
    expect(await m.count(Acl)).to.equal(1);
    const invites = [...a.logs, ...b.logs].filter((l) => l.includes("'admin' user created"));
    expect(invites).to.have.length(1);
  });

  it('presents the same SSH host key on every node', async () => {
    const [ka, kb] = await Promise.all([keyscan(a.port), keyscan(b.port)]);
    expect(ka).to.match(/^ssh-ed25519 AAAA/);
    expect(kb).to.equal(ka);
  });

  it('shares configuration: a host created on node A is usable through node B', async () => {
    const created = await a.ssh(['host', 'create', '--name', 'web01', `${target.user}@127.0.0.1:${target.port}`]);
    expect(created.code, created.stderr).to.equal(0);
    const listed = await b.ssh(['host', 'ls']);
    expect(listed.stdout).to.match(/\bweb01\b/);
    const r = await b.ssh(['echo', 'via-b'], { login: 'web01' });
    expect([r.code, r.stdout], r.stderr).to.deep.equal([0, 'via-b\n']);
  });

  it("shows each node's active sessions, with the node's name, on every node", async () => {
    const held = a.hold('web01', 'exec cat');
    try {
      const activeOn = async (n: Node): Promise<string> => (await n.ssh(['session', 'ls', '--active'])).stdout;
      await waitFor(async () => /\bweb01\b.*\bactive\b.*\bnode-a\b/.test(await activeOn(b)), 15_000, 'the session of node-a on node-b');
      expect(await activeOn(a)).to.match(/\bweb01\b.*\bactive\b.*\bnode-a\b/);
      expect(await activeOn(b)).to.match(/^ID +USER +HOST +STATUS +START +DURATION +ERROR +COMMENT +NODE +WATCHERS\n/);
    } finally {
      expect(await held.stop()).to.equal(0);
    }
    await waitFor(async () => !/\bnode-a\b/.test((await b.ssh(['session', 'ls', '--active'])).stdout), 15_000, 'the session to close');
  });

  it('loses nothing when admin commands run concurrently on both nodes', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `cg${String(i).padStart(2, '0')}`);
    const results = await Promise.all(names.map((name, i) => (i % 2 === 0 ? a : b).ssh(['hostgroup', 'create', '--name', name])));
    for (const r of results) expect(r.code, r.stderr).to.equal(0);
    for (const n of [a, b]) {
      const out = (await n.ssh(['hostgroup', 'ls', '--quiet'])).stdout;
      const ls = (await n.ssh(['hostgroup', 'ls'])).stdout;
      expect(out.trim().split('\n')).to.have.length(21);
      for (const name of names) expect(ls).to.match(new RegExp(`\\b${name}\\b`));
    }
    const events = await a.app.db.manager.findBy(Event, { domain: 'hostgroup', action: 'create' });
    expect(events.map((e) => e.entity).sort()).to.deep.equal(names);
  });

  it('keeps concurrent updates of one row consistent across nodes', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      (i % 2 === 0 ? a : b).ssh(['hostgroup', 'update', '--comment', `c${i}`, 'cg00'])));
    for (const r of results) expect(r.code, r.stderr).to.equal(0);
    const g = await b.app.db.manager.findOneByOrFail(HostGroup, { name: 'cg00' });
    expect(g.comment).to.match(/^c\d$/);
    expect(await b.app.db.manager.countBy(Event, { domain: 'hostgroup', action: 'update' })).to.equal(10);
  });
});
