import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Event, Session } from '../../../lib/db/entities/index.js';
import { sshOptions } from '../../support/openssh.js';
import { renderScreen } from '../../support/screen.js';
import type { SshdTarget } from '../../support/sshd.js';
import { Terminal } from '../../support/terminal.js';
import { startCluster, waitFor, type Cluster, type Node } from '../cluster/nodes.js';
import { recordedAndClosed } from './owner.js';

describe('live sessions across nodes on MariaDB: watch, join, stop, replay and export over the node link', function () {
  this.timeout(180_000);
  let cluster: Cluster;
  let a: Node;
  let b: Node;
  let adminKey: string;
  let target: SshdTarget;
  const terms: Terminal[] = [];

  const open = (n: Node, login: string, extra: string[] = [], cols = 100, rows = 30): Terminal => {
    const t = new Terminal([...extra, ...sshOptions(n.port, adminKey), `${login}@127.0.0.1`], cols, rows);
    terms.push(t);
    return t;
  };
  const ok = async (n: Node, ...args: string[]): Promise<string> => {
    const r = await n.ssh(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const screen = async (t: Terminal): Promise<string> => (await renderScreen(t.output, 100, 30)).join('\n');
  /** An owner's shell on web01 through node-a, and its session id. */
  const owner = async (): Promise<{ term: Terminal; id: number }> => {
    const m = a.app.db.manager;
    const last = async (): Promise<number> => (await m.findOne(Session, { where: {}, order: { id: 'DESC' } }))?.id ?? 0;
    const before = await last();
    const term = open(a, 'web01');
    await term.waitFor(/\$ $/, 20_000);
    await waitFor(async () => (await last()) > before, 5_000, 'the session row');
    return { term, id: await last() };
  };

  before(async function () {
    cluster = await startCluster(this, { prefix: 'sshportal-live-cluster-', names: ['node-a', 'node-b'], clusterTiming: { heartbeatMs: 500, deadAfterMs: 8_000 } });
    [a, b] = cluster.nodes as [Node, Node];
    ({ target, adminKey } = cluster);
    await ok(a, 'host', 'create', '--name=web01', `${target.user}@127.0.0.1:${target.port}`);
  });
  afterEach(() => { for (const t of terms.splice(0)) t.kill(); });
  after(async () => {
    await cluster?.close();
  });

  it("watch and join through node-b a session node-a relays: snapshot, live output, the joiner's keys, WATCHERS over the link", async () => {
    const { term, id } = await owner();
    term.write('echo before-$((40+2))\r');
    await term.waitFor(/before-42/);
    expect(await ok(b, 'session', 'ls', '--active')).to.match(new RegExp(`^${id} +admin +web01 +active .* node-a +0$`, 'm'));
    const w = open(b, `watch:${id}`, ['-t']);
    await waitFor(async () => (await screen(w)).includes('before-42'), 15_000, 'the snapshot through node-b');
    await term.waitFor(/admin started watching this session/);
    expect(await ok(b, 'session', 'ls', '--active')).to.match(new RegExp(`^${id} +.* node-a +1$`, 'm'));
    term.write('echo live-$((6*7))\r');
    await waitFor(async () => (await screen(w)).includes('live-42'), 10_000, 'live output through node-b');
    w.write('echo ignored-zzz\r');
    w.write('q');
    expect(await w.exitCode).to.equal(0);
    await term.waitFor(/admin stopped watching this session/);
    const j = open(b, `join:${id}`, ['-t', '-o', 'EscapeChar=~']);
    await term.waitFor(/admin joined this session/);
    j.write('echo joined-$((5*5))\r');
    await term.waitFor(/joined-25/);
    expect(term.plain()).to.not.include('ignored-zzz');
    j.write('\r~.');
    expect(await j.exitCode).to.equal(255);
    await term.waitFor(/admin left this session/);
    const actions = (await b.app.db.manager.find(Event, { where: { domain: 'session' } })).map((e) => e.action);
    expect(actions).to.include.members(['watch-start', 'watch-stop', 'join-start']);
    term.write('exit\r');
    expect(await term.exitCode).to.equal(0);
  });

  it('session stop on node-b ends the session on node-a: message, exit 255, the row closed with the error; its watcher is told', async () => {
    const { term, id } = await owner();
    const w = open(b, `watch:${id}`, ['-t']);
    await term.waitFor(/admin started watching this session/);
    const started = Date.now();
    await ok(b, 'session', 'stop', '--reason="node-a maintenance"', String(id));
    expect(await term.exitCode).to.equal(255);
    expect(Date.now() - started).to.be.below(5_000);
    expect(term.plain()).to.include('session terminated by admin: node-a maintenance');
    expect(await w.exitCode).to.equal(0);
    expect(w.plain()).to.include('the session ended');
    await waitFor(async () => (await b.app.db.manager.findOneByOrFail(Session, { id })).status === 'closed', 10_000, 'the row to close');
    expect((await b.app.db.manager.findOneByOrFail(Session, { id })).errMsg).to.equal('session terminated by admin: node-a maintenance');
  });

  it("replay and export on node-b fetch the recording from node-a's disk over the node link", async () => {
    const o = await owner();
    const { id } = o;
    const cast = await recordedAndClosed(b.app.db.manager, o, 'echo recorded-$((9*9))', /recorded-81/);
    expect(cast).to.include('/node-a/');
    const exported = await b.ssh(['session', 'export', String(id)]);
    expect(exported.code, exported.stderr).to.equal(0);
    expect(exported.stdout).to.equal(readFileSync(cast, 'utf8'));
    const played = await b.ssh(['session', 'replay', '--idle-limit=0.05', String(id)]);
    expect(played.code, played.stderr).to.equal(0);
    expect(played.stdout).to.include('recorded-81');
    expect(b.logs.some((l) => /node link dialed .*node=node-a/.test(l))).to.equal(true);
  });
});
