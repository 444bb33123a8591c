import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { defaultTiming } from '../../../lib/cluster/index.js';
import { Event, Session, SshKey } from '../../../lib/db/entities/index.js';
import { freshDb, type TestDb } from '../../support/databases.js';
import { startNodeProcess, type NodeProcess } from '../../support/node-process.js';
import { sshOptions } from '../../support/openssh.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { tempDir } from '../../support/tmp.js';
import { newKey, startNode, waitFor, type Node } from './nodes.js';

/** Short enough for a test, long enough that a loaded machine never stalls a live node that long. */
const short = { heartbeatMs: 500, deadAfterMs: 6_000 };

/** A real OpenSSH client running `cat` on web01 through the portal at `port`, after its first line came back. */
async function catThrough(port: number, key: string, line: string): Promise<{ exit: Promise<number | null>; stdinEnd(): void }> {
  const client = spawn('ssh', [...sshOptions(port, key), 'web01@127.0.0.1', 'exec cat'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let echoed = '';
  client.stdout.on('data', (d: Buffer) => { echoed += d.toString(); });
  client.stderr.resume();
  const exit = new Promise<number | null>((r) => client.once('exit', (code) => r(code)));
  client.stdin.write(`${line}\n`);
  await waitFor(() => echoed.includes(line), 20_000, `the echo of '${line}'`);
  return { exit, stdinEnd: () => client.stdin.end() };
}

const variants = [
  { observers: ['node-a'], timing: short, label: 'short heartbeats' },
  // The production timing (10 s heartbeat, dead after 30 s): the 60 s promise holds as shipped.
  { observers: ['node-a', 'node-b'], timing: defaultTiming, label: 'default heartbeats' },
];

for (const { observers, timing, label } of variants) {
  describe(`cluster: kill -9 of a node in the middle of a relayed session, ${observers.length + 1} nodes on MariaDB, ${label}`, function () {
    this.timeout(240_000);
    let db: TestDb;
    let dir: ReturnType<typeof tempDir>;
    let live: Node[] = [];
    let victim: NodeProcess | undefined;
    let target: SshdTarget;

    before(async function () {
      requireSshd(this);
      db = await freshDb(this, 'mysql');
      dir = tempDir('sshportal-lost-');
      const token = randomBytes(12).toString('hex');
      const adminKey = newKey(dir.path, 'admin_key');
      live = await Promise.all(observers.map((name) => startNode({ db, name, dir: dir.path, token, adminKey, clusterTiming: timing })));
      const a = live[0];
      const enrolled = await a.ssh([], { login: `invite:${token}` });
      expect(enrolled.code, enrolled.stderr).to.equal(0);
      const portalKey = await a.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
      target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
      expect((await a.ssh(['host', 'create', '--name', 'web01', `${target.user}@127.0.0.1:${target.port}`])).code).to.equal(0);
      victim = await startNodeProcess({ name: 'node-c', db: db.flags, logsLocation: join(dir.path, 'node-c', 'log'), clusterTiming: timing });
    });
    after(async () => {
      await victim?.kill9();
      await Promise.all(live.map((n) => n.close()));
      await target?.stop();
      await db?.drop();
      dir?.remove();
    });

    it('another node closes the session with `node node-c lost` within 60 s, once, with one event', async () => {
      const a = live[0];
      const port = victim?.port ?? 0;
      const client = await catThrough(port, join(dir.path, 'admin_key'), 'relayed by node-c');
      const m = a.app.db.manager;
      const row = await m.findOneByOrFail(Session, { node: 'node-c', status: 'active' });
      expect((await a.ssh(['node', 'ls'])).stdout).to.match(/\bnode-c +\S+ +test +.* +alive +1\n/);

      const killedAt = Date.now();
      await victim?.kill9();
      // The client's TCP connection died with the process.
      expect(await client.exit).to.equal(255);
      let seen = '';
      await waitFor(async () => {
        seen = (await a.ssh(['session', 'ls'])).stdout;
        return new RegExp(`^${row.id} +admin +web01 +closed +.* +node node-c lost +node-c$`, 'm').test(seen);
      }, 60_000, `session ${row.id} closed as lost`);
      const tookMs = Date.now() - killedAt;
      console.log(`      (lost session closed ${tookMs} ms after kill -9, dead-after ${timing.deadAfterMs} ms)`);
      expect(tookMs).to.be.below(60_000);

      const closed = await m.findOneByOrFail(Session, { id: row.id });
      expect(closed).to.include({ status: 'closed', errMsg: 'node node-c lost' });
      expect(closed.stoppedAt).to.be.instanceOf(Date);
      // Every live node runs the reaper; give them time to all notice, then count.
      await new Promise((r) => setTimeout(r, Math.min(3 * timing.heartbeatMs, 12_000)));
      const events = await m.findBy(Event, { domain: 'session', action: 'lost' });
      expect(events).to.have.length(1);
      expect(JSON.parse(events[0]?.args ?? '{}')).to.deep.equal({ session_id: row.id, node: 'node-c', error: 'node node-c lost' });
      expect(events[0]?.entity).to.equal('web01');
      expect((await a.ssh(['node', 'ls'])).stdout).to.match(/\bnode-c +\S+ +test +.* +dead +0\n/);
      const inspected = JSON.parse((await a.ssh(['session', 'inspect', String(row.id)])).stdout) as Record<string, unknown>[];
      expect(inspected[0]).to.include({ Status: 'closed', ErrMsg: 'node node-c lost' }).and.not.have.property('Live');
    });
  });
}

describe('cluster: a node killed -9 and restarted at once (MariaDB)', function () {
  this.timeout(240_000);
  // Nobody else declares it dead during the test: what closes its session is its own restart.
  const timing = { heartbeatMs: 500, deadAfterMs: 120_000 };
  let db: TestDb;
  let dir: ReturnType<typeof tempDir>;
  let a: Node | undefined;
  let victim: NodeProcess | undefined;
  let target: SshdTarget;
  const startVictim = (): Promise<NodeProcess> =>
    startNodeProcess({ name: 'node-c', db: db.flags, logsLocation: join(dir.path, 'node-c', 'log'), clusterTiming: timing });

  before(async function () {
    requireSshd(this);
    db = await freshDb(this, 'mysql');
    dir = tempDir('sshportal-restart-');
    const token = randomBytes(12).toString('hex');
    a = await startNode({ db, name: 'node-a', dir: dir.path, token, adminKey: newKey(dir.path, 'admin_key'), clusterTiming: timing });
    expect((await a.ssh([], { login: `invite:${token}` })).code).to.equal(0);
    const portalKey = await a.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    expect((await a.ssh(['host', 'create', '--name', 'web01', `${target.user}@127.0.0.1:${target.port}`])).code).to.equal(0);
    victim = await startVictim();
  });
  after(async () => {
    await victim?.kill9();
    await a?.close();
    await target?.stop();
    await db?.drop();
    dir?.remove();
  });

  it('closes what its previous run left as it starts, and links to it are dialed again', async () => {
    const node = a as Node;
    const m = node.app.db.manager;
    const key = join(dir.path, 'admin_key');
    const inspectLive = async (id: number): Promise<Record<string, unknown>> => {
      const [one] = JSON.parse((await node.ssh(['session', 'inspect', String(id)])).stdout) as Record<string, unknown>[];
      return (one?.Live ?? {}) as Record<string, unknown>;
    };
    const first = await catThrough(victim?.port ?? 0, key, 'first run');
    const row1 = await m.findOneByOrFail(Session, { node: 'node-c', status: 'active' });
    expect(await inspectLive(row1.id)).to.include({ Node: 'node-c' });

    await victim?.kill9();
    expect(await first.exit).to.equal(255);
    victim = await startVictim();
    // Closed by the new run's start, long before anyone could call node-c dead.
    expect(await m.findOneByOrFail(Session, { id: row1.id })).to.include({ status: 'closed', errMsg: 'node node-c lost' });
    expect(await m.countBy(Event, { domain: 'session', action: 'lost' })).to.equal(1);

    const second = await catThrough(victim.port, key, 'second run');
    try {
      const row2 = await m.findOneByOrFail(Session, { node: 'node-c', status: 'active' });
      const live = await inspectLive(row2.id);
      expect(live).to.include({ Node: 'node-c' });
      expect(live.BytesUp).to.be.at.least('second run\n'.length);
      expect(node.logs.filter((l) => /node link dialed .*node=node-c/.test(l))).to.have.length(2);
    } finally {
      second.stdinEnd();
    }
    expect(await second.exit).to.equal(0);
  });
});
