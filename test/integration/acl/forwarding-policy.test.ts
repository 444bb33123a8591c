import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { join } from 'node:path';
import { sshOptions } from '../../support/openssh.js';
import { runProcess } from '../../support/process.js';
import { freePort, requireSshd } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';
import { echoServer, refusals, startPolicyFixture, type PolicyFixture } from './setup.js';

/** Fails under CI, skips loudly elsewhere, when an X11 tool is missing. */
function requireX11Tools(ctx: Mocha.Context): void {
  const missing = ['/usr/bin/Xvfb', '/usr/bin/xauth', '/usr/bin/xdpyinfo'].filter((p) => !existsSync(p));
  if (missing.length === 0) return;
  if (process.env.CI === 'true') throw new Error(`${missing.join(', ')} missing; CI must install xvfb xauth x11-utils`);
  console.warn(`\n*** SKIPPING X11 tests: ${missing.join(', ')} not found ***\n`);
  ctx.skip();
}

/** Starts a real Xvfb (its own display number) whose cookie is in a fresh client XAUTHORITY file. */
async function startXvfb(dir: string): Promise<{ display: string; xauthority: string; child: ChildProcess }> {
  const cookie = randomBytes(16).toString('hex');
  const serverAuth = join(dir, 'xvfb.auth');
  const xauthority = join(dir, 'client.auth');
  expect((await runProcess('xauth', ['-f', serverAuth, 'add', ':0', '.', cookie])).code).to.equal(0);
  const child = spawn('Xvfb', ['-displayfd', '3', '-auth', serverAuth, '-screen', '0', '1234x567x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const fd = child.stdio[3];
  const n = await new Promise<string>((resolve, reject) => {
    let text = '';
    fd?.on('data', (d: Buffer) => { text += d.toString(); if (text.includes('\n')) resolve(text.trim()); });
    child.once('exit', () => reject(new Error('Xvfb exited')));
    setTimeout(() => reject(new Error('Xvfb did not start')), 15_000);
  });
  const display = `:${n}`;
  expect((await runProcess('xauth', ['-f', xauthority, 'add', display, '.', cookie])).code).to.equal(0);
  return { display, xauthority, child };
}

/** Runs `ssh -L lport:dest host sleep`, connects to lport, sends a line; returns what came back and ssh's stderr. */
async function throughLocalForward(f: PolicyFixture, host: string, destPort: number): Promise<{ echoed: string; stderr: string }> {
  const lport = await freePort();
  // LogLevel INFO (OpenSSH's default; the test options say ERROR) shows `open failed: …`.
  const child = spawn('ssh', ['-o', 'LogLevel=INFO', ...sshOptions(f.portal.port, f.key), '-o', 'ExitOnForwardFailure=yes', '-L', `${lport}:127.0.0.1:${destPort}`, `${host}@127.0.0.1`, 'sleep 20'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    await waitFor(() => new Promise<boolean>((resolve) => {
      const s = connect(lport, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    }), 15_000, 'the -L listener');
    const echoed = await new Promise<string>((resolve) => {
      let got = '';
      const s = connect(lport, '127.0.0.1', () => s.write('ping\n'));
      s.on('data', (d: Buffer) => { got += d.toString(); if (got.includes('\n')) { s.destroy(); resolve(got); } });
      s.once('close', () => resolve(got));
      s.once('error', () => resolve(got));
    });
    await waitFor(() => echoed !== '' || stderr.includes('open failed'), 5_000, 'ssh to report the refused channel');
    return { echoed, stderr };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

describe('acl session policy through the real portal: -L/-W, -R, -A, X11 (real Xvfb)', function () {
  let f: PolicyFixture;
  let echo: { server: Server; port: number };
  let forbidden: { server: Server; port: number };
  let rAllowed: number;
  const ids: Record<string, number> = {};
  const agent: { child?: ChildProcess; sock: string } = { sock: '' };

  before(async function () {
    requireSshd(this);
    f = await startPolicyFixture(this);
    echo = await echoServer();
    forbidden = await echoServer();
    rAllowed = await freePort();
    ids.open = await f.host('open');
    ids.fwd = await f.host('fwd', `--local-forward=127.0.0.1:${echo.port},db.internal:5432`, `--remote-forward=localhost:${rAllowed}`);
    ids.nofwd = await f.host('nofwd', '--local-forward=none', '--remote-forward=none');
    ids.noagent = await f.host('noagent', '--agent-forward=no');
    ids.nox11 = await f.host('nox11', '--x11=no');
  });
  after(async () => {
    agent.child?.kill('SIGTERM');
    echo?.server.close();
    forbidden?.server.close();
    await f?.close();
  });

  it('-W and -L reach an allowed destination', async () => {
    const w = await f.ssh('fwd', ['-W', `127.0.0.1:${echo.port}`], { input: 'ping\n' });
    expect([w.code, w.stdout]).to.deep.equal([0, 'ping\n']);
    expect((await throughLocalForward(f, 'fwd', echo.port)).echoed).to.equal('ping\n');
  });

  it('-W and -L to a forbidden destination: administratively prohibited, naming the ACL; the session goes on', async () => {
    const reason = `acl ${ids.fwd} forbids local forwarding to 127.0.0.1:${forbidden.port}`;
    const w = await f.ssh('fwd', ['-W', `127.0.0.1:${forbidden.port}`], { input: 'ping\n', extra: ['-o', 'LogLevel=INFO'] });
    expect(w.code).to.equal(255);
    expect(w.stderr).to.include(`open failed: administratively prohibited: ${reason}`);
    const l = await throughLocalForward(f, 'fwd', forbidden.port);
    expect(l.echoed).to.equal('');
    expect(l.stderr).to.include(`administratively prohibited: ${reason}`);
    const none = await f.ssh('nofwd', ['-W', `127.0.0.1:${echo.port}`], { input: 'ping\n', extra: ['-o', 'LogLevel=INFO'] });
    expect(none.stderr).to.include(`administratively prohibited: acl ${ids.nofwd} forbids local forwarding to 127.0.0.1:${echo.port}`);
    expect(await refusals(f, 'fwd')).to.include(reason);
  });

  it('-R on an allowed listen address works; a forbidden one gets a failure reply and the session goes on', async () => {
    const script = (port: number): string => `echo ping | socat -t 3 - TCP:127.0.0.1:${port}`;
    const ok = await f.ssh('fwd', ['-o', 'ExitOnForwardFailure=yes', '-R', `${rAllowed}:127.0.0.1:${echo.port}`, script(rAllowed)]);
    expect([ok.code, ok.stdout], ok.stderr).to.deep.equal([0, 'ping\n']);
    const other = await freePort();
    const refused = await f.ssh('fwd', ['-o', 'ExitOnForwardFailure=yes', '-R', `${other}:127.0.0.1:${echo.port}`, 'echo not-reached']);
    expect(refused.code).to.equal(255);
    expect(refused.stderr).to.match(new RegExp(`remote port forwarding failed for listen port ${other}`));
    const goesOn = await f.ssh('nofwd', ['-R', `${other}:127.0.0.1:${echo.port}`, 'echo still-here']);
    expect([goesOn.code, goesOn.stdout]).to.deep.equal([0, 'still-here\n']);
    expect(await refusals(f, 'fwd')).to.include(`acl ${ids.fwd} forbids remote forwarding on localhost:${other}`);
  });

  it('-A: the target finds the client agent by default, and no agent with --agent-forward=no', async () => {
    agent.sock = join(f.portal.dir, 'agent.sock');
    agent.child = spawn('ssh-agent', ['-D', '-a', agent.sock], { stdio: 'ignore' });
    await waitFor(() => existsSync(agent.sock), 10_000, 'ssh-agent');
    const env = { ...process.env, SSH_AUTH_SOCK: agent.sock };
    expect((await runProcess('ssh-add', [f.key], { env })).code).to.equal(0);
    const cmd = 'ssh-add -l; echo "sock=[$SSH_AUTH_SOCK]"';
    const on = await f.ssh('open', ['-A', cmd], { env });
    expect(on.code, on.stderr).to.equal(0);
    expect(on.stdout).to.match(/ED25519/).and.to.match(/sock=\[\/.+\]/);
    const off = await f.ssh('noagent', ['-A', cmd], { env });
    expect(off.stdout).to.include('sock=[]').and.not.match(/ED25519/);
    expect(off.stderr).to.match(/Could not open a connection to your authentication agent|Error connecting to agent/);
    expect(await refusals(f, 'noagent')).to.include(`acl ${ids.noagent} forbids agent forwarding`);
  });

  describe('X11 with a real X server on the client side', function () {
    let x: Awaited<ReturnType<typeof startXvfb>> | undefined;
    before(async function () {
      requireX11Tools(this);
      x = await startXvfb(f.portal.dir);
    });
    after(() => { x?.child.kill('SIGTERM'); });

    it('ssh -Y host@portal xdpyinfo answers from the client\'s display', async () => {
      const env = { ...process.env, DISPLAY: x?.display, XAUTHORITY: x?.xauthority };
      const r = await f.ssh('open', ['-Y', 'echo "display=$DISPLAY"; xdpyinfo | grep dimensions'], { env, timeoutMs: 30_000 });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^display=localhost:\d+\.0\n/).and.to.include('1234x567 pixels');
    });

    it('with --x11=no no DISPLAY is set and the client is told', async () => {
      const env = { ...process.env, DISPLAY: x?.display, XAUTHORITY: x?.xauthority };
      const r = await f.ssh('nox11', ['-Y', 'echo "display=[$DISPLAY]"'], { env });
      expect([r.code, r.stdout]).to.deep.equal([0, 'display=[]\n']);
      expect(r.stderr).to.include('X11 forwarding request failed');
      expect(await refusals(f, 'nox11')).to.include(`acl ${ids.nox11} forbids X11 forwarding`);
    });
  });
});
