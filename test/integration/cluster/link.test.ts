import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { Event, NodeRow, Session, Setting, SshKey } from '../../../lib/db/entities/index.js';
import { generateKey } from '../../support/keys.js';
import { freshDb, type TestDb } from '../../support/databases.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { tempDir } from '../../support/tmp.js';
import { newKey, startNode, waitFor, type Held, type Node, type NodeOptions } from './nodes.js';

const timing = { heartbeatMs: 500, deadAfterMs: 8_000 };

/** Tries a login with the ssh2 client; resolves with null when it got in, else the error level and message. */
function tryLogin(port: number, username: string, privateKey: string): Promise<string | null> {
  return new Promise((resolve) => {
    const c = new ssh2.Client();
    c.once('ready', () => { c.end(); resolve(null); });
    c.once('error', (err: Error & { level?: string }) => resolve(`${err.level ?? ''}: ${err.message}`));
    c.connect({ host: '127.0.0.1', port, username, privateKey, readyTimeout: 15_000 });
  });
}

describe('cluster: three nodes on MariaDB know each other (node link)', function () {
  this.timeout(180_000);
  let db: TestDb;
  let dir: ReturnType<typeof tempDir>;
  let base: Omit<NodeOptions, 'name'>;
  const nodes: Record<string, Node> = {};
  let target: SshdTarget;

  /** A relayed `cat` through `n`, echoing a first line; resolves once that line came back, with the session id. */
  async function relayed(n: Node): Promise<{ held: Held; id: number }> {
    const held = n.hold('web01', 'exec cat');
    held.child.stdin.write('hello through the portal\n');
    await waitFor(() => held.stdout().includes('hello through the portal'), 20_000, `the echo through ${n.name}`);
    const row = await n.app.db.manager.findOneOrFail(Session, { where: { node: n.name, status: 'active' }, order: { id: 'DESC' } });
    return { held, id: row.id };
  }

  async function inspect(n: Node, id: number): Promise<Record<string, unknown>> {
    const r = await n.ssh(['session', 'inspect', String(id)]);
    expect(r.code, r.stderr).to.equal(0);
    const [one] = JSON.parse(r.stdout) as Record<string, unknown>[];
    return one ?? {};
  }

  before(async function () {
    requireSshd(this);
    db = await freshDb(this, 'mysql');
    dir = tempDir('sshportal-link-');
    const token = randomBytes(12).toString('hex');
    base = { db, dir: dir.path, token, adminKey: newKey(dir.path, 'admin_key'), clusterTiming: timing };
    for (const n of await Promise.all(['node-a', 'node-b', 'node-c'].map((name) => startNode({ ...base, name })))) nodes[n.name] = n;
    const a = nodes['node-a'];
    const enrolled = await a.ssh([], { login: `invite:${token}` });
    expect(enrolled.code, enrolled.stderr).to.equal(0);
    const portalKey = await a.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    const created = await a.ssh(['host', 'create', '--name', 'web01', `${target.user}@127.0.0.1:${target.port}`]);
    expect(created.code, created.stderr).to.equal(0);
  });
  after(async () => {
    await Promise.all(Object.values(nodes).map((n) => n.close()));
    await target?.stop();
    await db?.drop();
    dir?.remove();
  });

  it('node ls: every node sees the three nodes alive, with address, version and active sessions', async () => {
    for (const n of Object.values(nodes)) {
      const r = await n.ssh(['node', 'ls']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^ID +NAME +ADDRESS +VERSION +STARTED +HEARTBEAT +STATUS +ACTIVE SESSIONS\n/);
      for (const m of Object.values(nodes)) {
        expect(r.stdout).to.match(new RegExp(`\\b${m.name} +127\\.0\\.0\\.1:${m.port} +test +\\S.* +(?:now|\\d+ seconds? ago) +alive +0\\n`));
      }
      expect(r.stdout).to.match(/Total: 3 nodes\.\n$/);
    }
    expect(await nodes['node-a']?.app.db.manager.count(NodeRow)).to.equal(3);
  });

  it("session inspect on node-c shows node-a's live byte counters, fetched over the node link", async () => {
    const a = nodes['node-a'];
    const c = nodes['node-c'];
    const { held, id } = await relayed(a);
    try {
      expect((await c.ssh(['node', 'ls'])).stdout).to.match(/\bnode-a +\S+ +test +.* +alive +1\n/);
      const live = (await inspect(c, id)).Live as Record<string, unknown>;
      expect(live.Node).to.equal('node-a');
      expect(live.BytesUp).to.be.at.least('hello through the portal\n'.length);
      expect(live.BytesDown).to.be.at.least('hello through the portal\n'.length);
      expect(a.logs.some((l) => /node link opened .*from=node-c/.test(l))).to.equal(true);
      expect(c.logs.some((l) => /node link dialed .*node=node-a/.test(l))).to.equal(true);
      // The same link serves the next request: no second dial.
      held.child.stdin.write('more\n');
      await waitFor(() => held.stdout().includes('more'), 10_000, 'the second echo');
      const again = (await inspect(c, id)).Live as Record<string, unknown>;
      expect(again.BytesUp).to.be.greaterThan(live.BytesUp as number);
      expect(c.logs.filter((l) => /node link dialed .*node=node-a/.test(l))).to.have.length(1);
      // Asked on its own node, the counters come from the relay itself.
      expect(((await inspect(a, id)).Live as Record<string, unknown>).Node).to.equal('node-a');
    } finally {
      expect(await held.stop()).to.equal(0);
    }
    await waitFor(async () => (await inspect(c, id)).Status === 'closed', 15_000, 'the session to close');
    expect(await inspect(c, id)).to.not.have.property('Live');
  });

  it('refuses a peer: login with any key but the cluster key, and audits it; the cluster key opens nothing else', async () => {
    const a = nodes['node-a'];
    const r = await a.ssh(['ping'], { login: 'peer:node-b', extra: ['-o', 'BatchMode=no', '-o', 'LogLevel=INFO'] });
    expect(r.code).to.equal(255);
    expect(r.stderr).to.match(/not the cluster key: 'peer:' logins are for portal nodes only/);
    const forged = generateKey(`${dir.path}/forged`, 'forged').privateKey;
    expect(await tryLogin(a.port, 'peer:node-b', forged)).to.match(/^client-authentication:/);
    await waitFor(async () => (await a.app.db.manager.countBy(Event, { domain: 'auth', action: 'failure', entity: 'peer:node-b' })) >= 2, 10_000, 'the audit events');
    expect(a.logs.some((l) => /authentication refused .*user=peer:node-b .*not the cluster key/.test(l))).to.equal(true);
    // The real cluster key: a node, never a user or a host login.
    const setting = await a.app.db.manager.findOneByOrFail(Setting, { name: 'cluster_key' });
    const clusterKey = a.app.db.cipher.decrypt(setting.value);
    expect(await tryLogin(a.port, 'peer:node-x', clusterKey)).to.equal(null);
    expect(await tryLogin(a.port, 'admin', clusterKey)).to.match(/^client-authentication:/);
    expect(await tryLogin(a.port, 'web01', clusterKey)).to.match(/^client-authentication:/);
    for (const n of Object.values(nodes)) expect(n.logs.join('\n')).to.not.include(clusterKey.split('\n')[1]);
  });

  it('answers only typed, bounded requests on a link; anything else is refused or answered with an error', async () => {
    const a = nodes['node-a'];
    const setting = await a.app.db.manager.findOneByOrFail(Setting, { name: 'cluster_key' });
    const c = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      c.once('ready', () => resolve()).once('error', reject);
      c.connect({ host: '127.0.0.1', port: a.port, username: 'peer:probe', privateKey: a.app.db.cipher.decrypt(setting.value), readyTimeout: 15_000 });
    });
    const exec = (command: string): Promise<string> => new Promise((resolve, reject) => {
      c.exec(command, (err, stream) => {
        if (err) return reject(err);
        let out = '';
        stream.on('data', (d: Buffer) => { out += d.toString(); }).on('close', () => resolve(out));
        stream.stderr.resume();
      });
    });
    try {
      expect(JSON.parse(await exec('{"type":"ping"}'))).to.deep.equal({ ok: true, value: { node: 'node-a', version: 'test' } });
      expect(JSON.parse(await exec('rm -rf /'))).to.deep.equal({ ok: false, error: 'malformed request: not JSON' });
      expect(JSON.parse(await exec('{"type":"shell"}'))).to.deep.equal({ ok: false, error: 'unknown request type "shell"' });
      expect(JSON.parse(await exec('{"type":"session-counters","sessionId":999999}'))).to.deep.equal({ ok: true, value: null });
      const refused = (p: Promise<unknown>): Promise<boolean> => p.then(() => false, () => true);
      expect(await refused(exec(`{"type":"ping","pad":"${'x'.repeat(9000)}"}`)), 'an oversized request').to.equal(true);
      expect(await refused(new Promise((resolve, reject) => c.shell((err) => (err ? reject(err) : resolve(null))))), 'a shell').to.equal(true);
      expect(await refused(new Promise((resolve, reject) => c.forwardOut('127.0.0.1', 1, '127.0.0.1', target.port, (err) => (err ? reject(err) : resolve(null))))), 'a forward').to.equal(true);
      // Still serving after all that.
      expect(JSON.parse(await exec('{"type":"ping"}'))).to.have.property('ok', true);
    } finally {
      c.end();
    }
  });

  it('link requests survive a restart of the peer: the link is dialed again', async () => {
    const b = nodes['node-b'];
    const c = nodes['node-c'];
    const first = await relayed(b);
    expect(((await inspect(c, first.id)).Live as Record<string, unknown>).Node).to.equal('node-b');
    await first.held.stop();
    await b.close();
    const restarted = await startNode({ ...base, name: 'node-b' });
    nodes['node-b'] = restarted;
    expect(restarted.port).to.not.equal(b.port);
    const second = await relayed(restarted);
    try {
      const live = (await inspect(c, second.id)).Live as Record<string, unknown>;
      expect(live).to.include({ Node: 'node-b' });
      expect(live.BytesUp).to.be.a('number');
      expect(c.logs.filter((l) => /node link dialed .*node=node-b/.test(l))).to.have.length(2);
      expect(c.logs.some((l) => l.includes(`address=127.0.0.1:${restarted.port}`))).to.equal(true);
    } finally {
      expect(await second.held.stop()).to.equal(0);
    }
  });
});
