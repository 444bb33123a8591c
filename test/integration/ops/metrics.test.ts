import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { Host, HostGroup, SshKey } from '../../../lib/db/entities/index.js';
import { metricsCacheMs } from '../../../lib/metrics/http.js';
import { sshOptions } from '../../support/openssh.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../cluster/nodes.js';

/** The value of one sample (`name{labels} value`) in a Prometheus text exposition, or null. */
function sample(text: string, name: string, labels = ''): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = m[2] ?? '';
    if (labels.split(',').filter(Boolean).every((l) => got.includes(l))) return Number(m[3]);
  }
  return null;
}

async function addHost(p: Portal, name: string, t: SshdTarget, group = 'default'): Promise<void> {
  const m = p.app.db.manager;
  let hg = await m.findOneBy(HostGroup, { name: group });
  hg ??= await m.save(m.create(HostGroup, { name: group }));
  await m.save(m.create(Host, { name, addr: `127.0.0.1:${t.port}`, user: t.user, groups: [hg] }));
}

describe('ops: Prometheus /metrics and JSON logs on a real portal', function () {
  this.timeout(60_000);
  let portal: Portal;
  let target: SshdTarget;
  let url: string;
  const scrape = async (): Promise<string> => {
    const res = await fetch(url);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  /** A scrape after the endpoint's cache window: counts from now, not the collection a scrape just before shared. */
  const fresh = async (): Promise<string> => {
    await new Promise((r) => setTimeout(r, metricsCacheMs + 50));
    return scrape();
  };

  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3', flags: { metricsAddress: '127.0.0.1:0', logFormat: 'json', nodeName: 'node-m' } });
    const key = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [key.pubKey] });
    await addHost(portal, 'web01', target);
    await addHost(portal, 'vault', target, 'secret');
    url = `http://127.0.0.1:${portal.app.metricsPort}/metrics`;
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
  });

  it('serves process metrics and zeroed portal counters, and 404 elsewhere', async () => {
    const text = await scrape();
    expect(sample(text, 'process_resident_memory_bytes')).to.be.greaterThan(0);
    expect(text).to.match(/^nodejs_eventloop_lag_seconds\{node="node-m"\} /m);
    expect(sample(text, 'sshportal_sessions_active')).to.equal(0);
    expect(sample(text, 'sshportal_connections_total', 'kind="invite"')).to.equal(1);
    expect(sample(text, 'sshportal_stall_cuts_total', 'what="channel"')).to.equal(0);
    expect((await fetch(url.replace('/metrics', '/'))).status).to.equal(404);
  });

  it('counts host logins, bytes both ways, dial latency and the live session gauge', async () => {
    const before = await scrape();
    const hostLogins = sample(before, 'sshportal_connections_total', 'kind="host"') ?? 0;
    const up = await portal.ssh(['cat > /dev/null'], { login: 'web01', input: Buffer.alloc(300_000, 1) });
    const down = await portal.ssh(['head -c 200000 /dev/zero'], { login: 'web01' });
    expect([up.code, down.code, down.stdout.length]).to.deep.equal([0, 0, 200_000]);
    const child = spawn('ssh', [...sshOptions(portal.port, portal.adminKey), 'web01@127.0.0.1', 'exec cat'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await waitFor(async () => sample(await scrape(), 'sshportal_sessions_active') === 1, 15_000, 'one active session');
    } finally {
      child.stdin.end();
      await exited;
    }
    await waitFor(async () => sample(await scrape(), 'sshportal_sessions_active') === 0, 15_000, 'no active session');
    const text = await fresh();
    expect(sample(text, 'sshportal_connections_total', 'kind="host"')).to.equal(hostLogins + 3);
    expect(sample(text, 'sshportal_relayed_bytes_total', 'direction="up"')).to.be.at.least(300_000);
    expect(sample(text, 'sshportal_relayed_bytes_total', 'direction="down"')).to.be.at.least(200_000);
    expect(sample(text, 'sshportal_upstream_dial_seconds_count')).to.be.at.least(3);
    expect(sample(text, 'sshportal_upstream_dial_seconds_bucket', 'le="+Inf"')).to.be.at.least(3);
    expect(sample(text, 'sshportal_sessions_total')).to.be.at.least(3);
  });

  it('counts authentication failures and ACL denials', async () => {
    const before = await scrape();
    const stranger = portal.newKey('stranger');
    expect((await portal.ssh(['true'], { login: 'web01', key: stranger })).code).to.equal(255);
    expect((await portal.ssh(['true'], { login: 'vault' })).code).to.equal(1);
    const after = await fresh();
    const delta = (name: string): number => (sample(after, name) ?? 0) - (sample(before, name) ?? 0);
    expect(delta('sshportal_auth_failures_total')).to.be.at.least(1);
    expect(delta('sshportal_acl_denials_total')).to.equal(1);
  });

  it('writes every line of a relayed session as JSON carrying the connection id', async () => {
    const from = portal.logs.length;
    const r = await portal.ssh(['echo', 'json'], { login: 'web01' });
    expect(r.code).to.equal(0);
    await waitFor(() => portal.logs.slice(from).some((l) => l.includes('"session closed"')), 10_000, 'the session to close');
    const lines = portal.logs.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).to.be.at.least(4);
    for (const l of lines) {
      expect(l).to.include.keys('time', 'level', 'msg', 'conn', 'remote');
      expect(l.conn).to.match(/^[0-9a-f]{8}$/);
    }
    expect(new Set(lines.map((l) => l.conn)).size).to.equal(1);
    expect(lines.map((l) => l.msg)).to.include.members(['user authenticated', 'host login', 'session opened', 'session closed']);
  });
});
