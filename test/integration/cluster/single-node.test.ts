import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { Event, NodeRow, Session, SshKey } from '../../../lib/db/entities/index.js';
import { sshOptions } from '../../support/openssh.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';

const timing = { heartbeatMs: 200, deadAfterMs: 2_000 };

describe('cluster on SQLite: one node, its registry and its own orphaned sessions', function () {
  this.timeout(120_000);
  let portal: Portal;
  let target: SshdTarget;

  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3', clusterTiming: timing });
    const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    expect((await portal.ssh(['host', 'create', '--name', 'web01', `${target.user}@127.0.0.1:${target.port}`])).code).to.equal(0);
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
  });

  it('node ls shows the one node, alive, at its bound address', async () => {
    const r = await portal.ssh(['node', 'ls']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`^1 +test-node +127\\.0\\.0\\.1:${portal.port} +test +.* +alive +0\\n`, 'm'));
    expect((await portal.ssh(['node', 'ls', '-q'])).stdout).to.equal('1\n');
    expect(await portal.app.db.manager.count(NodeRow)).to.equal(1);
  });

  it('closes rows no relay holds (a crashed run, an unknown node) once, and never a live session', async () => {
    const m = portal.app.db.manager;
    const client = spawn('ssh', [...sshOptions(portal.port, portal.adminKey), 'web01@127.0.0.1', 'exec cat'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let echoed = '';
    client.stdout.on('data', (d: Buffer) => { echoed += d.toString(); });
    const exited = new Promise<number | null>((r) => client.once('exit', (code) => r(code)));
    try {
      client.stdin.write('still here\n');
      await waitFor(() => echoed.includes('still here'), 20_000, 'the echo');
      const liveRow = await m.findOneByOrFail(Session, { status: 'active' });
      const stale = { status: 'active', userId: 1, hostId: 1, stoppedAt: null, errMsg: null, comment: '', remoteAddr: '10.0.0.9:1', recordings: null };
      const own = await m.save(m.create(Session, { ...stale, node: 'test-node' }));
      const ghost = await m.save(m.create(Session, { ...stale, node: 'ghost' }));
      await waitFor(async () => (await m.countBy(Session, { status: 'active' })) === 1, 20_000, 'the orphaned rows to close');
      expect(await m.findOneByOrFail(Session, { id: own.id })).to.include({ status: 'closed', errMsg: 'node test-node lost' });
      expect(await m.findOneByOrFail(Session, { id: ghost.id })).to.include({ status: 'closed', errMsg: 'node ghost lost' });
      // Several heartbeats later the live session is still active and still relays.
      await new Promise((r) => setTimeout(r, 2 * timing.deadAfterMs));
      expect(await m.findOneByOrFail(Session, { id: liveRow.id })).to.include({ status: 'active' });
      client.stdin.write('and still\n');
      await waitFor(() => echoed.includes('and still'), 10_000, 'the second echo');
      expect(await m.countBy(Event, { domain: 'session', action: 'lost' })).to.equal(2);
    } finally {
      client.stdin.end();
    }
    expect(await exited).to.equal(0);
  });
});
