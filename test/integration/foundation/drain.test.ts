import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { requireHaproxy } from '../../support/haproxy.js';
import { generateKey } from '../../support/keys.js';
import { sshOptions } from '../../support/openssh.js';
import { startPortal, startWebTarget, type Portal } from '../../support/portal.js';
import { runProcess } from '../../support/process.js';
import { requireSshd, type SshdTarget } from '../../support/sshd.js';
import { tempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { startBalanced, type Balanced } from '../security/balancer.js';

/** A live OpenSSH session whose stdin stays open until `end()`. */
interface Held {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
  end(): void;
}

function hold(port: number, key: string, login: string, extra: string[] = []): Held {
  // For OpenSSH the first value given wins: `extra` options come first.
  const child = spawn('ssh', [...extra, ...sshOptions(port, key), '-T', `${login}@127.0.0.1`]);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { child, out: () => out, err: () => err, exited, end: () => child.stdin.end() };
}

const cli = (args: string[]): ReturnType<typeof runProcess> =>
  runProcess(process.execPath, ['--import', 'tsx', 'cmd/sshportal.ts', ...args]);

/** The identification line a new connection gets. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = connect(port, '127.0.0.1');
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n');
      if (end >= 0) { s.destroy(); resolve(got.slice(0, end)); }
    });
    s.on('error', reject);
  });
}

const occurrences = (text: string, what: string): number => text.split(what).length - 1;

describe('foundation: draining (--drain-timeout)', function () {
  let portal: Portal;
  let target: SshdTarget;
  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3', flags: { drainTimeout: '20s' } });
    target = await startWebTarget(portal);
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
  });

  it('refuses new logins, fails healthchecks, tells live users once, and closes when the last session ends', async () => {
    const shell = hold(portal.port, portal.adminKey, 'admin');
    const relayed = hold(portal.port, portal.adminKey, 'web01');
    shell.child.stdin.write('version\n');
    relayed.child.stdin.write('echo relayed-up\n');
    await waitFor(() => shell.out().includes('test') && relayed.out().includes('relayed-up'), 10_000, 'both sessions live');
    const started = Date.now();
    const drained = portal.app.drain(20_000);
    let done = false;
    void drained.then(() => { done = true; });
    try {
      const notice = 'portal restarting in 20 s';
      await waitFor(() => shell.err().includes(notice) && relayed.err().includes(notice), 5_000, 'the notice');
      // A balancer checking only the identification line sees the drain too.
      expect(await greeting(portal.port)).to.equal('SSH-2.0-sshportal draining');
      const hc = await portal.ssh([], { login: 'healthcheck', key: null });
      expect([hc.code, hc.stdout, hc.stderr]).to.deep.equal([1, '', 'error: portal draining\n']);
      const probe = await cli(['healthcheck', '--addr', `127.0.0.1:${portal.port}`]);
      expect([probe.code, probe.stderr]).to.deep.equal([1, 'error: unhealthy: portal draining\n']);
      const login = await portal.ssh(['version'], { extra: ['-o', 'BatchMode=no', '-o', 'LogLevel=INFO'] });
      expect([login.code, login.stdout]).to.deep.equal([255, '']);
      expect(login.stderr).to.include('error: the portal is restarting: try again in a moment');
      // Live sessions keep working while the node drains.
      shell.child.stdin.write('version\n');
      await waitFor(() => occurrences(shell.out(), 'test') === 2, 5_000, 'a command during the drain');
      expect(done).to.equal(false);
      shell.end();
      relayed.end();
      await drained;
      expect(Date.now() - started).to.be.below(15_000);
      expect(await shell.exited).to.equal(0);
      expect(await relayed.exited).to.equal(0);
      expect(occurrences(shell.err(), notice)).to.equal(1);
      expect(occurrences(relayed.err(), notice)).to.equal(1);
      expect(portal.logs.some((l) => l.includes('drained: the last session ended'))).to.equal(true);
    } finally {
      shell.child.kill();
      relayed.child.kill();
    }
  });
});

describe('foundation: SIGTERM with --drain-timeout', function () {
  it('waits for live sessions up to the timeout, then exits 0 and ends them', async function () {
    const dir = tempDir();
    const token = randomBytes(16).toString('hex');
    const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/sshportal.ts', 'server', '-b', '127.0.0.1:0', '--drain-timeout', '3s',
      '--db-conn', join(dir.path, 'db.sqlite'), '--logs-location', join(dir.path, 'log')],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: token } });
    let log = '';
    child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    let held: Held | undefined;
    try {
      await waitFor(() => /listening address=[^ ]*:\d+/.test(log), 20_000, 'the server to listen');
      const port = Number(/listening address=[^ ]*:(\d+)/.exec(log)?.[1]);
      const key = generateKey(join(dir.path, 'admin_key')).path;
      const enrol = await runProcess('ssh', [...sshOptions(port, key), `invite:${token}@127.0.0.1`]);
      expect(enrol.code).to.equal(0);
      held = hold(port, key, 'admin');
      held.child.stdin.write('version\n');
      await waitFor(() => /\d+\.\d+/.test(held?.out() ?? ''), 10_000, 'a live admin session');
      const started = Date.now();
      child.kill('SIGTERM');
      await waitFor(() => held?.err().includes('portal restarting in 3 s') === true, 5_000, 'the notice');
      const healthy = await cli(['healthcheck', '--addr', `127.0.0.1:${port}`]);
      expect(healthy.code).to.equal(1);
      const code = await exited;
      const took = Date.now() - started;
      expect(code).to.equal(0);
      expect(took).to.be.within(2_500, 9_000);
      expect(await held.exited).to.not.equal(null);
      expect(log).to.include('drain timeout passed').and.include('sshportal stopped');
    } finally {
      held?.child.kill();
      child.kill('SIGKILL');
      dir.remove();
    }
  });
});

describe('foundation: a draining node behind a real HAProxy', function () {
  let b: Balanced;
  before(async function () {
    requireHaproxy(this);
    b = await startBalanced(this, {});
  });
  after(async () => { await b?.close(); });

  it('fails the balancer\'s identification-line check, so new clients go elsewhere, while live sessions go on', async () => {
    const held = hold(b.haproxy.port['send-proxy-v2'], b.portal.adminKey, 'admin', ['-o', 'BindAddress=127.0.0.2', '-o', `Port=${b.haproxy.port['send-proxy-v2']}`]);
    try {
      held.child.stdin.write('version\n');
      await waitFor(() => held.out().includes('test'), 10_000, 'a live session through HAProxy');
      await waitFor(async () => Object.values(await b.haproxy.status()).every((s) => s === 'UP'), 10_000, 'the node UP');
      const drained = b.portal.app.drain(30_000);
      await waitFor(async () => Object.values(await b.haproxy.status()).every((s) => s.startsWith('DOWN')), 10_000, 'the node DOWN');
      held.child.stdin.write('version\n');
      await waitFor(() => occurrences(held.out(), 'test') === 2, 5_000, 'the live session still served');
      held.end();
      await drained;
      expect(await held.exited).to.equal(0);
    } finally {
      held.child.kill();
    }
  });
});
