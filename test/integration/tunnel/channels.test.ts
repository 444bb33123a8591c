import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Event, Host, SshKey, TunnelKey } from '../../../lib/db/entities/index.js';
import { sshOptions } from '../../support/openssh.js';
import { runProcess } from '../../support/process.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';
import { connect, Connector } from './connector.js';
import { connectRetry, freePort, listen, LongSsh, roundTrip, startEcho } from './net.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The token of `host tunnel-invite`'s output. */
const tokenOf = (out: string): string => /host-invite:([A-Za-z0-9]+)@/.exec(out)?.[1] ?? 'missing';

describe('tunnel hosts on sqlite3: every channel type and the ACL hook through a real connector', function () {
  this.timeout(60_000);
  let portal: Portal;
  let target: SshdTarget;
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let connector: Connector;
  let hookLog: string;
  const remoteDir = `tunnel-channels-${process.pid}-${Date.now()}`;
  const opts = (): string[] => sshOptions(portal.port, portal.adminKey);
  const sshCommand = (): string => ['ssh', ...opts()].join(' ');
  const forward = (): string => `22:127.0.0.1:${target.port}`;
  /** A tunnel host with its own enrolled key and a live connector. */
  const tunnelHost = async (name: string): Promise<{ key: string; connector: Connector }> => {
    expect((await portal.ssh(['host', 'create', '--tunnel', `${target.user}@${name}`])).code).to.equal(0);
    const key = portal.newKey(`k-${name}`);
    const out = (await portal.ssh(['host', 'tunnel-invite', name])).stdout;
    return { key, connector: await connect(portal, key, `host-invite:${tokenOf(out)}`, forward(), name) };
  };

  before(async function () {
    requireSshd(this);
    const dir = join(process.cwd(), '.tmp');
    mkdirSync(dir, { recursive: true });
    const hook = join(dir, `tunnel-acl-hook-${process.pid}.sh`);
    hookLog = `${hook}.log`;
    // Denies the host named pi-blocked, keeps every other decision; logs the host it was asked about.
    writeFileSync(hook, `#!/bin/sh\necho "$3" >> '${hookLog}'\ncase "$3" in *'"Name":"pi-blocked"'*) echo deny;; *) echo "$1";; esac\n`);
    chmodSync(hook, 0o755);
    portal = await startPortal(this, { driver: 'sqlite3', flags: { aclCheckCmd: hook } });
    chmodSync(portal.dir, 0o755);
    const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    echo = await startEcho();
    connector = (await tunnelHost('pi42')).connector;
    const r = await portal.ssh([`mkdir -p ${remoteDir}`], { login: 'pi42' });
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => {
    if (connector?.running) await portal.ssh([`rm -rf ${remoteDir}`], { login: 'pi42' });
    await connector?.kill();
    await echo?.close();
    await portal?.close();
    await target?.stop();
    if (hookLog) for (const f of [hookLog, hookLog.replace(/\.log$/, '')]) rmSync(f, { force: true });
  });

  it('rsync uploads a directory and downloads it back', async () => {
    const dir = join(portal.dir, 'rs');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'a.txt'), 'alpha\n');
    const blob = randomBytes(200_000);
    writeFileSync(join(dir, 'sub', 'b.bin'), blob);
    let r = await runProcess('rsync', ['-a', '-e', sshCommand(), `${dir}/`, `pi42@127.0.0.1:${remoteDir}/rs/`]);
    expect(r.code, r.stderr).to.equal(0);
    const back = join(portal.dir, 'rs-back');
    r = await runProcess('rsync', ['-a', '-e', sshCommand(), `pi42@127.0.0.1:${remoteDir}/rs/`, `${back}/`]);
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(join(back, 'a.txt'), 'utf8')).to.equal('alpha\n');
    expect(sha256(readFileSync(join(back, 'sub', 'b.bin')))).to.equal(sha256(blob));
  });

  it('git clones and pushes over ssh', async () => {
    let r = await portal.ssh([`git init -q --bare ${remoteDir}/repo.git`], { login: 'pi42' });
    expect(r.code, r.stderr).to.equal(0);
    const env = { ...process.env, GIT_SSH_COMMAND: sshCommand(), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
    const url = `ssh://pi42@127.0.0.1:${portal.port}/~/${remoteDir}/repo.git`;
    const work = join(portal.dir, 'work');
    r = await runProcess('git', ['clone', '-q', url, work], { env });
    expect(r.code, r.stderr).to.equal(0);
    writeFileSync(join(work, 'README'), 'hello through the tunnel\n');
    for (const args of [['add', 'README'], ['commit', '-qm', 'first'], ['push', '-q', 'origin', 'HEAD:refs/heads/main']]) {
      r = await runProcess('git', ['-C', work, ...args], { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
    }
    const again = join(portal.dir, 'again');
    r = await runProcess('git', ['clone', '-q', '-b', 'main', url, again], { env });
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(join(again, 'README'), 'utf8')).to.equal('hello through the tunnel\n');
  });

  it('-L local forward', async () => {
    const lport = await freePort();
    const ssh = new LongSsh(['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${lport}:127.0.0.1:${echo.port}`, ...opts(), 'pi42@127.0.0.1']);
    try {
      expect((await roundTrip(await connectRetry(lport), 'hello -L')).toString()).to.equal('hello -L');
    } finally {
      await ssh.stop();
    }
  });

  it('-D dynamic (SOCKS5) forward, with curl as the SOCKS client', async () => {
    const web = createServer((req, res) => res.end(`socks ok ${req.url ?? ''}`));
    const webPort = await listen(web);
    const lport = await freePort();
    const ssh = new LongSsh(['-N', '-o', 'ExitOnForwardFailure=yes', '-D', `127.0.0.1:${lport}`, ...opts(), 'pi42@127.0.0.1']);
    try {
      await connectRetry(lport).then((s) => s.destroy());
      const r = await runProcess('curl', ['-sS', '--max-time', '15', '--socks5', `127.0.0.1:${lport}`, `http://127.0.0.1:${webPort}/through-socks`]);
      expect([r.code, r.stdout], r.stderr).to.deep.equal([0, 'socks ok /through-socks']);
    } finally {
      await ssh.stop();
      web.closeAllConnections();
      await new Promise((res) => web.close(res));
    }
  });

  it('-R remote forward (port 0: the target allocates it)', async () => {
    // The first LogLevel given wins: INFO prints the allocated port.
    const ssh = new LongSsh(['-N', '-o', 'LogLevel=INFO', '-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${echo.port}`, ...opts(), 'pi42@127.0.0.1']);
    try {
      const m = await ssh.match(/Allocated port (\d+) for remote forward/);
      const port = Number(m[1]);
      expect(port).to.be.greaterThan(0);
      expect((await roundTrip(await connectRetry(port), 'hello -R')).toString()).to.equal('hello -R');
    } finally {
      await ssh.stop();
    }
  });

  it('-A: ssh-add -l on the target sees the client agent', async () => {
    const sock = join(portal.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    const gone = new Promise((r) => agent.once('exit', r));
    try {
      const env = { ...process.env, SSH_AUTH_SOCK: sock };
      await waitFor(async () => [0, 1].includes((await runProcess('ssh-add', ['-l'], { env })).code ?? -1), 5_000, 'the agent');
      expect((await runProcess('ssh-add', [portal.adminKey], { env })).code).to.equal(0);
      const fp = (await runProcess('ssh-keygen', ['-l', '-f', `${portal.adminKey}.pub`])).stdout.split(' ')[1] ?? 'missing';
      const r = await runProcess('ssh', ['-A', ...opts(), 'pi42@127.0.0.1', 'ssh-add -l'], { env });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include(fp);
    } finally {
      agent.kill('SIGTERM');
      await gone;
    }
  });

  it('--acl-check-cmd decides for a tunnel host', async () => {
    const blocked = await tunnelHost('pi-blocked');
    try {
      const r = await portal.ssh(['true'], { login: 'pi-blocked' });
      expect([r.code, r.stderr]).to.deep.equal([1, "error: access to host 'pi-blocked' denied\n"]);
      expect((await portal.ssh(['echo', 'allowed'], { login: 'pi42' })).stdout).to.equal('allowed\n');
      expect(readFileSync(hookLog, 'utf8')).to.include('"Name":"pi-blocked"');
      expect(await portal.app.db.manager.countBy(Event, { domain: 'session', action: 'deny', entity: 'pi-blocked' })).to.equal(1);
    } finally {
      await blocked.connector.kill();
    }
  });

  it('host rm of a tunnel host drops its live connector and removes its connector keys', async () => {
    const { key, connector: c } = await tunnelHost('pi-rm');
    const host = await portal.app.db.manager.findOneByOrFail(Host, { name: 'pi-rm' });
    const r = await portal.ssh(['host', 'rm', 'pi-rm']);
    expect(r.code, r.stderr).to.equal(0);
    expect(await Promise.race([c.exited.then(() => 'exited'), new Promise((res) => setTimeout(() => res('still running'), 10_000))])).to.equal('exited');
    expect(await portal.app.db.manager.countBy(TunnelKey, { hostId: host.id })).to.equal(0);
    const again = new Connector(portal.port, key, 'tunnel:pi-rm', forward());
    expect(await again.exited).to.not.equal(0);
  });

  it('host update --url turns a tunnel host into a plain one: connector dropped, keys removed', async () => {
    const { key, connector: c } = await tunnelHost('pi-up');
    const host = await portal.app.db.manager.findOneByOrFail(Host, { name: 'pi-up' });
    const r = await portal.ssh(['host', 'update', '--url', `${target.user}@127.0.0.1:${target.port}`, 'pi-up']);
    expect(r.code, r.stderr).to.equal(0);
    expect(await Promise.race([c.exited.then(() => 'exited'), new Promise((res) => setTimeout(() => res('still running'), 10_000))])).to.equal('exited');
    expect(await portal.app.db.manager.countBy(TunnelKey, { hostId: host.id })).to.equal(0);
    const again = new Connector(portal.port, key, 'tunnel:pi-up', forward());
    expect(await again.exited).to.not.equal(0);
    expect(again.err).to.include('is not a connector key');
    // The tunnel host of the other tests keeps its connector.
    expect(connector.running).to.equal(true);
  });
});
