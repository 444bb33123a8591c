import { expect } from 'chai';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Event, Host, Session, SshKey, TunnelInvite, TunnelKey } from '../../../lib/db/entities/index.js';
import { Held } from '../../support/held-ssh.js';
import { sshOptions } from '../../support/openssh.js';
import { runProcess } from '../../support/process.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';
import { connect, Connector, tunnelEvents } from './connector.js';

/** The token line of `host tunnel-invite`'s output. */
function tokenOf(out: string): string {
  const m = /host-invite:([A-Za-z0-9]+)@/.exec(out);
  if (!m?.[1]) throw new Error(`no token in: ${out}`);
  return m[1];
}

describe('tunnel hosts on sqlite3: a real OpenSSH connector behind NAT, a real sshd behind it', function () {
  let portal: Portal;
  let target: SshdTarget;
  let lan: SshdTarget;
  let connectorKey: string;
  let running: Connector[] = [];
  const invite = async (host = 'pi42', extra: string[] = []): Promise<string> => {
    const r = await portal.ssh(['host', 'tunnel-invite', ...extra, host]);
    expect(r.code, r.stderr).to.equal(0);
    return r.stdout;
  };
  const track = (c: Connector): Connector => { running.push(c); return c; };
  const forward = (): string => `22:127.0.0.1:${target.port}`;

  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3' });
    const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    lan = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    connectorKey = portal.newKey('connector_key');
    const r = await portal.ssh(['host', 'create', '--tunnel', `${target.user}@pi42`]);
    expect(r.code, r.stderr).to.equal(0);
  });
  afterEach(async () => {
    await Promise.all(running.map((c) => c.kill()));
    running = [];
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
    await lan?.stop();
  });

  it('host ls shows tunnel://USER@NAME', async () => {
    const r = await portal.ssh(['host', 'ls']);
    expect(r.stdout).to.include(`tunnel://${target.user}@pi42`);
  });

  it('refuses a session when no connector is online: one line, exit 1, an event', async () => {
    const r = await portal.ssh(['true'], { login: 'pi42' });
    expect([r.code, r.stderr]).to.deep.equal([1, 'error: pi42 is a tunnel host and no connector is online\n']);
    expect(await tunnelEvents(portal, 'offline', 'pi42')).to.be.greaterThan(0);
  });

  it('enrolls a connector with a host invite (pinning the printed host key); the tunnel is up at once', async () => {
    const out = await invite();
    const known = /^\s+(\[127\.0\.0\.1\]:\d+ \S+ \S+)$/m.exec(out)?.[1];
    expect(known, out).to.be.a('string');
    const knownHosts = join(portal.dir, 'known_hosts');
    writeFileSync(knownHosts, `${known}\n`);
    expect(out).to.include(`ssh -N -o ExitOnForwardFailure=yes -R 22:localhost:22 host-invite:${tokenOf(out)}@127.0.0.1 -p ${portal.port}`);
    // The printed key is the one the portal presents: strict checking against it succeeds.
    track(await connect(portal, connectorKey, `host-invite:${tokenOf(out)}`, forward(), 'pi42',
      ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`]));
    expect(await tunnelEvents(portal, 'enrolled', 'pi42')).to.equal(1);
    const r = await portal.ssh(['echo out; echo err >&2; exit 3'], { login: 'pi42' });
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([3, 'out\n', 'err\n']);
    const host = await portal.app.db.manager.findOneByOrFail(Host, { name: 'pi42' });
    expect(host.hostKey, 'the target sshd key is pinned through the tunnel').to.equal(target.hostKey.split(' ')[1]);
    expect(await portal.app.db.manager.countBy(TunnelKey, { hostId: host.id })).to.equal(1);
  });

  it('config backup carries connector keys (an extra key) and restore keeps them', async () => {
    const backup = await portal.ssh(['config', 'backup']);
    const doc = JSON.parse(backup.stdout) as { tunnel_keys: { Fingerprint: string }[]; hosts: unknown[] };
    expect(doc.tunnel_keys.length).to.equal(1);
    const restore = await portal.ssh(['config', 'restore', '--confirm'], { input: backup.stdout });
    expect(restore.code, restore.stderr).to.equal(0);
    expect(await portal.app.db.manager.countBy(TunnelKey, { fingerprint: doc.tunnel_keys[0]?.Fingerprint })).to.equal(1);
    // An sshportal (Go) backup has no such key: it restores, with no connector keys.
    const goShaped: Record<string, unknown> = { ...doc };
    delete goShaped.tunnel_keys;
    const r = await portal.ssh(['config', 'restore', '--confirm'], { input: JSON.stringify(goShaped) });
    expect(r.code, r.stderr).to.equal(0);
    expect(await portal.app.db.manager.countBy(TunnelKey, {})).to.equal(0);
    expect((await portal.ssh(['config', 'restore', '--confirm'], { input: backup.stdout })).code).to.equal(0);
  });

  it('refuses reused, expired and unknown host invite tokens', async () => {
    const out = await invite('pi42', ['--expires', '1m']);
    const token = tokenOf(out);
    track(await connect(portal, portal.newKey('k-once'), `host-invite:${token}`, forward(), 'pi42'));
    const reused = new Connector(portal.port, portal.newKey('k-reuse'), `host-invite:${token}`, forward());
    expect(await reused.exited).to.not.equal(0);
    expect(reused.err).to.include('invalid or expired host invite token');
    const expiring = tokenOf(await invite('pi42', ['--expires', '1m']));
    await portal.app.db.manager.createQueryBuilder().update(TunnelInvite).set({ expiresAt: new Date(Date.now() - 1000) }).execute();
    const expired = new Connector(portal.port, portal.newKey('k-exp'), `host-invite:${expiring}`, forward());
    expect(await expired.exited).to.not.equal(0);
    expect(expired.err).to.include('invalid or expired host invite token');
    const unknown = new Connector(portal.port, portal.newKey('k-unk'), 'host-invite:nope', forward());
    expect(await unknown.exited).to.not.equal(0);
    expect((await portal.ssh(['host', 'tunnel-invite', '--expires', '1y', 'pi42'])).stderr).to.match(/^error: invalid --expires/);
  });

  it('steady state: tunnel:NAME with -R 0 (OpenSSH prints Allocated port) and with a named bind', async () => {
    const zero = track(await connect(portal, connectorKey, 'tunnel:pi42', `0:127.0.0.1:${target.port}`, 'pi42'));
    await waitFor(() => /Allocated port \d+/.test(zero.err), 5_000, 'Allocated port');
    expect((await portal.ssh(['echo', 'via-zero'], { login: 'pi42' })).stdout).to.equal('via-zero\n');
    await zero.kill();
    track(await connect(portal, connectorKey, 'tunnel:pi42', `pi42:22:127.0.0.1:${target.port}`, 'pi42'));
    expect((await portal.ssh(['echo', 'via-named'], { login: 'pi42' })).stdout).to.equal('via-named\n');
    const list = await portal.ssh(['host', 'tunnels']);
    expect(list.stdout).to.match(/HOST\s.*NODE\s.*REMOTE\s.*SINCE\s.*KEY/);
    expect(list.stdout).to.match(/pi42\s.*test-node\s.*127\.0\.0\.1:\d+\s.*SHA256:/);
  });

  it('keeps keys in their lane', async () => {
    // A connector key is no user key: not for a host, not for the shell.
    for (const login of ['pi42', 'admin']) {
      const r = await portal.ssh(['true'], { login, key: connectorKey, extra: ['-o', 'BatchMode=no', '-o', 'LogLevel=INFO'] });
      expect(r.code).to.equal(255);
      expect(r.stderr).to.include('unknown key');
    }
    // A user key never registers a tunnel nor enrolls one.
    const before = await tunnelEvents(portal, 'refused', 'pi42');
    const user = new Connector(portal.port, portal.adminKey, 'tunnel:pi42', forward());
    expect(await user.exited).to.not.equal(0);
    expect(user.err).to.include("is not a connector key of tunnel host 'pi42'");
    await waitFor(async () => (await tunnelEvents(portal, 'refused', 'pi42')) > before, 5_000, 'the refused event');
    const enroll = new Connector(portal.port, portal.adminKey, `host-invite:${tokenOf(await invite())}`, forward());
    expect(await enroll.exited).to.not.equal(0);
    expect(enroll.err).to.include('is a user key');
    // Only the hosts the key is bound to.
    const other = new Connector(portal.port, connectorKey, 'tunnel:pi42', `web01:22:127.0.0.1:${target.port}`);
    expect(await other.exited).to.not.equal(0);
    // An admin cannot make it a user key either.
    const pub = readFileSync(`${connectorKey}.pub`, 'utf8');
    const add = await portal.ssh(['userkey', 'create', 'admin'], { input: pub });
    expect(add.stderr).to.include('is a tunnel connector key');
    // No session channel for a connector.
    const shell = await portal.ssh(['true'], { login: 'tunnel:pi42', key: connectorKey });
    expect(shell.code).to.equal(255);
  });

  it('applies ACLs to a tunnel host like any host (deny, with its connector online)', async () => {
    expect((await portal.ssh(['hostgroup', 'create', '--name', 'nat'])).code).to.equal(0);
    expect((await portal.ssh(['host', 'create', '--tunnel', '--group', 'nat', `${target.user}@pi44`])).code).to.equal(0);
    track(await connect(portal, portal.newKey('k-pi44'), `host-invite:${tokenOf(await invite('pi44'))}`, forward(), 'pi44'));
    const r = await portal.ssh(['true'], { login: 'pi44' });
    expect([r.code, r.stderr]).to.deep.equal([1, "error: access to host 'pi44' denied\n"]);
    expect(await portal.app.db.manager.countBy(Event, { domain: 'session', action: 'deny', entity: 'pi44' })).to.equal(1);
  });

  it('records a PTY session through the tunnel', async () => {
    track(await connect(portal, connectorKey, 'tunnel:pi42', forward(), 'pi42'));
    const r = await portal.ssh(['echo', 'hello-tunnel-cast'], { login: 'pi42', extra: ['-tt'] });
    expect(r.code).to.equal(0);
    const m = portal.app.db.manager;
    const last = await m.findOneOrFail(Session, { where: {}, order: { id: 'DESC' } });
    await waitFor(async () => (await m.findOneByOrFail(Session, { id: last.id })).status === 'closed', 5_000, 'the session row to close');
    const casts = readdirSync(join(portal.dir, 'log'), { recursive: true }).map(String).filter((f) => f.includes(`session-${last.id}`) && f.endsWith('.cast'));
    expect(casts.length).to.equal(1);
    expect(readFileSync(join(portal.dir, 'log', casts[0] ?? ''), 'utf8')).to.include('hello-tunnel-cast');
  });

  it('relays sftp, scp and direct-tcpip (-W) through the tunnel', async () => {
    track(await connect(portal, connectorKey, 'tunnel:pi42', forward(), 'pi42'));
    const src = join(portal.dir, 'tunnel-copy.txt');
    writeFileSync(src, 'through the tunnel\n', { mode: 0o644 });
    const remote = `tunnel-copy-${process.pid}-${Date.now()}.txt`;
    const scp = await runProcess('scp', [...sshOptions(portal.port, portal.adminKey), src, `pi42@127.0.0.1:${remote}`]);
    expect(scp.code, scp.stderr).to.equal(0);
    const sftp = await runProcess('sftp', [...sshOptions(portal.port, portal.adminKey), '-b', '-', 'pi42@127.0.0.1'], { input: `get ${remote} ${src}.back\nrm ${remote}\n` });
    expect(sftp.code, sftp.stderr).to.equal(0);
    expect(readFileSync(`${src}.back`, 'utf8')).to.equal('through the tunnel\n');
    const w = await portal.ssh([], { login: 'pi42', extra: ['-W', `127.0.0.1:${target.port}`], input: '', timeoutMs: 15_000 });
    expect(w.stdout).to.match(/^SSH-2\.0-OpenSSH/);
  });

  it('reaches a LAN machine with the tunnel host as its hop', async () => {
    track(await connect(portal, connectorKey, 'tunnel:pi42', forward(), 'pi42'));
    const c = await portal.ssh(['host', 'create', '--hop=pi42', `${lan.user}@127.0.0.1:${lan.port}`, '--name', 'lan5']);
    expect(c.code, c.stderr).to.equal(0);
    const r = await portal.ssh(['echo', 'on-the-lan'], { login: 'lan5' });
    expect([r.code, r.stdout]).to.deep.equal([0, 'on-the-lan\n']);
  });

  it('ends a live session within 10 s when its connector dies, closing the row with the error', async () => {
    const c = track(await connect(portal, connectorKey, 'tunnel:pi42', forward(), 'pi42'));
    const held = new Held(portal.port, portal.adminKey, 'pi42', ['echo ready; sleep 60']);
    await waitFor(() => held.out.includes('ready'), 15_000, 'the session to start');
    const m = portal.app.db.manager;
    const last = await m.findOneOrFail(Session, { where: {}, order: { id: 'DESC' } });
    const killedAt = Date.now();
    await c.kill();
    const code = await held.exited;
    expect(Date.now() - killedAt).to.be.lessThan(10_000);
    expect(code).to.equal(255);
    // 'exit' may come before the last stderr bytes were read.
    await waitFor(() => held.err.includes('error: connection to pi42 lost (connector disconnected)'), 3_000, `the lost line, got ${JSON.stringify(held.err)}`);
    await waitFor(async () => (await m.findOneByOrFail(Session, { id: last.id })).status === 'closed', 5_000, 'the session row to close');
    expect((await m.findOneByOrFail(Session, { id: last.id })).errMsg).to.equal('connection to pi42 lost (connector disconnected)');
  });

  it('serves new sessions through the other connector when one of two dies', async () => {
    const a = track(await connect(portal, connectorKey, 'tunnel:pi42', forward(), 'pi42'));
    track(await connect(portal, connectorKey, 'tunnel:pi42', forward(), 'pi42'));
    const list = await portal.ssh(['host', 'tunnels', 'pi42']);
    expect(list.stdout).to.include('Total: 2 connectors.');
    for (let i = 0; i < 3; i++) expect((await portal.ssh(['echo', String(i)], { login: 'pi42' })).stdout).to.equal(`${i}\n`);
    await a.kill();
    await waitFor(async () => (await portal.ssh(['host', 'tunnels', 'pi42'])).stdout.includes('Total: 1 connectors.'), 5_000, 'one connector left');
    for (let i = 0; i < 3; i++) expect((await portal.ssh(['echo', String(i)], { login: 'pi42' })).stdout).to.equal(`${i}\n`);
  });

  it('refuses a changed target key through the tunnel with both fingerprints', async () => {
    track(await connect(portal, connectorKey, 'tunnel:pi42', `22:127.0.0.1:${lan.port}`, 'pi42'));
    const r = await portal.ssh(['true'], { login: 'pi42' });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/^error: host key mismatch for host 'pi42': expected SHA256:\S+, got SHA256:\S+/m);
  });

  it('host inspect shows connector keys and live connectors; tunnel-revoke drops them', async () => {
    const c = track(await connect(portal, connectorKey, 'tunnel:pi42', forward(), 'pi42'));
    const inspect = JSON.parse((await portal.ssh(['host', 'inspect', 'pi42'])).stdout) as { TunnelKeys: unknown[]; Connectors: unknown[] }[];
    expect(inspect[0]?.TunnelKeys.length).to.be.greaterThan(0);
    expect(inspect[0]?.Connectors.length).to.equal(1);
    const r = await portal.ssh(['host', 'tunnel-revoke', 'pi42']);
    expect(r.stdout).to.match(/connector key\(s\) revoked, 1 live connector\(s\) dropped/);
    expect(await c.exited).to.not.equal(null);
    const again = new Connector(portal.port, connectorKey, 'tunnel:pi42', forward());
    expect(await again.exited).to.not.equal(0);
    expect(await portal.app.db.manager.countBy(Event, { domain: 'host', action: 'tunnel-revoke' })).to.equal(1);
  });
});
