import { expect } from 'chai';
import { openSync, closeSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { PermissionDeniedError } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/log.js';
import { Held } from '../../support/held-ssh.js';
import { tempDir, type TempDir } from '../../support/keys.js';
import { Calls } from '../../support/must-call.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { hopTo, relayOptions, run, sshArgs, startFront, suiteKeys, type Front, type Observed } from './harness.js';

/** A TCP relay to `port` whose connections the test can cut (a network failure). */
async function tcpProxy(port: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const socks = new Set<Socket>();
  const track = (s: Socket): void => { socks.add(s); s.on('close', () => socks.delete(s)); s.on('error', () => undefined); };
  const server = createServer((down) => {
    const up = connect(port, '127.0.0.1');
    track(down);
    track(up);
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    cut: () => { for (const s of socks) s.destroy(); },
    close: () => new Promise<void>((resolve) => { for (const s of socks) s.destroy(); server.close(() => resolve()); }),
  };
}

describe('relay: session channels (real ssh → relay → real sshd)', function () {
  let tmp: TempDir;
  let keys: ReturnType<typeof suiteKeys>;
  let target: SshdTarget;
  let front: Front;
  let observed: Observed;
  let cutter: { port: number; cut(): void; close(): Promise<void> } | undefined;

  before(async function () {
    requireSshd(this);
    tmp = tempDir();
    keys = suiteKeys(tmp.path);
    target = await startSshd({ authorizedKeys: [keys.portal.publicKey] });
    front = await startFront(keys.front, (login) => {
      if (login === 'denied') {
        return { log: silentLogger, idleTimeoutMs: 0, prepare: () => Promise.reject(new PermissionDeniedError("access to host 'denied' is not allowed")) };
      }
      if (login === 'badkey') {
        return relayOptions({ chain: [hopTo(target, keys.portal, 'badkey', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl')], recording: { mode: 'disabled', dir: tmp.path, baseName: 'x' } }, observed);
      }
      if (login === 'fragile' && cutter) {
        const hop = { ...hopTo(target, keys.portal, 'fragile'), port: cutter.port };
        return relayOptions({ chain: [hop], recording: { mode: 'disabled', dir: tmp.path, baseName: 'x' } }, observed);
      }
      if (login === 'down') {
        const hop = hopTo(target, keys.portal, 'down');
        return relayOptions({ chain: [{ ...hop, port: 1 }], recording: { mode: 'disabled', dir: tmp.path, baseName: 'x' } }, observed);
      }
      return relayOptions({ chain: [hopTo(target, keys.portal)], recording: { mode: 'disabled', dir: tmp.path, baseName: 'x' } }, observed);
    });
  });
  beforeEach(() => { observed = { events: [], summaries: [] }; });
  after(async () => {
    await front?.close();
    await target?.stop();
    tmp?.remove();
  });

  it('runs a command and relays its exit status', async () => {
    const r = await run('ssh', sshArgs(front, keys.user, 'web', 'echo hello; exit 3'));
    expect(r.stdout.toString()).to.equal('hello\n');
    expect(r.code).to.equal(3);
  });

  it('passes stdin through and keeps stderr apart', async () => {
    const r = await run('ssh', sshArgs(front, keys.user, 'web', 'tr a-z A-Z; echo oops >&2'), { input: 'abc\n' });
    expect(r.stdout.toString()).to.equal('ABC\n');
    expect(r.stderr).to.equal('oops\n');
    expect(r.code).to.equal(0);
  });

  it('never hangs on `ssh host cmd </dev/null`', async () => {
    const fd = openSync('/dev/null', 'r');
    try {
      const r = await run('ssh', sshArgs(front, keys.user, 'web', 'cat; echo done'), { stdinFile: fd, timeoutMs: 10_000 });
      expect(r.stdout.toString()).to.equal('done\n');
      expect(r.code).to.equal(0);
    } finally {
      closeSync(fd);
    }
  });

  it('relays SendEnv variables', async () => {
    const r = await run('ssh', ['-o', 'SendEnv=SSHPORTAL_TEST', ...sshArgs(front, keys.user, 'web', 'echo "$SSHPORTAL_TEST"')], {
      env: { ...process.env, SSHPORTAL_TEST: 'from-client' },
    });
    expect(r.stdout.toString()).to.equal('from-client\n');
  });

  it('relays exit signals', async () => {
    const r = await run('ssh', ['-o', 'LogLevel=DEBUG1', ...sshArgs(front, keys.user, 'web', 'kill -TERM $$')]);
    expect(r.code).to.equal(255);
    expect(r.stderr).to.include('rtype exit-signal');
  });

  it('answers a refusal from prepare() with one error line and exit 1', async () => {
    const r = await run('ssh', sshArgs(front, keys.user, 'denied', 'true'), { timeoutMs: 10_000 });
    expect(r.stderr).to.equal("error: access to host 'denied' is not allowed\n");
    expect(r.code).to.equal(1);
  });

  it('answers a refused -W (direct-tcpip) with a channel-open failure and closes', async () => {
    const r = await run('ssh', ['-W', '127.0.0.1:9', ...sshArgs(front, keys.user, 'denied')], { timeoutMs: 10_000 });
    expect(r.stderr).to.match(/forwarding failed|open failed/);
    expect(r.code).to.equal(255);
  });

  it('refuses a changed host key with a message naming both fingerprints', async () => {
    const r = await run('ssh', sshArgs(front, keys.user, 'badkey', 'true'), { timeoutMs: 10_000 });
    expect(r.stderr).to.match(/^error: host key mismatch for host 'badkey': expected SHA256:\S+, got SHA256:\S+/);
    expect(r.code).to.equal(255);
    expect(observed.events.some((e) => e.type === 'upstream-failed')).to.equal(true);
  });

  it('reports an unreachable target with exit 255', async () => {
    const r = await run('ssh', sshArgs(front, keys.user, 'down', 'true'), { timeoutMs: 10_000 });
    expect(r.stderr).to.match(/^error: cannot reach 'down' \(127\.0\.0\.1:1\): connection refused/);
    expect(r.code).to.equal(255);
  });

  it('tells the user when the target connection is lost mid-session', async () => {
    cutter = await tcpProxy(target.port);
    // `cat` with an open stdin ends on the target when its connection goes away.
    const ssh = new Held(sshArgs(front, keys.user, 'fragile', 'echo started; exec cat'));
    const timer = setTimeout(() => ssh.child.kill('SIGKILL'), 15_000);
    try {
      while (!ssh.out.includes('started')) await new Promise((r) => setTimeout(r, 20));
      cutter.cut();
      expect(await ssh.closed).to.equal(255);
      ssh.child.stdin.destroy();
      expect(ssh.err).to.equal("error: connection to 'fragile' lost\n");
    } finally {
      clearTimeout(timer);
      await cutter.close();
      cutter = undefined;
    }
  });

  it('close(reason) from the owner ends sessions with that message (shutdown)', async () => {
    const calls = new Calls();
    const started = calls.mustCall(undefined, 1, 'channel-started');
    observed.onEvent = (e) => { if (e.type === 'channel-started') started(); };
    const ssh = new Held(sshArgs(front, keys.user, 'web', 'echo ready; exec cat'));
    const timer = setTimeout(() => ssh.child.kill('SIGKILL'), 10_000);
    try {
      await calls.done();
      // The close comes once `echo ready` reached the client (a fixed pause lost that race on a busy machine).
      while (!ssh.out.includes('ready') && ssh.child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
      front.relays[front.relays.length - 1]?.close('the portal is shutting down');
      expect(await ssh.closed).to.equal(255);
      ssh.child.stdin.destroy();
    } finally {
      clearTimeout(timer);
    }
    expect(ssh.out).to.equal('ready\n');
    expect(ssh.err).to.equal('error: the portal is shutting down\n');
    await front.relays[front.relays.length - 1]?.closed;
    expect(observed.summaries[0]?.error).to.equal('the portal is shutting down');
  });

  it('calls onClose exactly once with the byte counts', async () => {
    const calls = new Calls();
    observed.onClose = calls.mustCall((s) => expect(s.bytesDown).to.equal(1000), 1, 'onClose');
    const r = await run('ssh', sshArgs(front, keys.user, 'web', 'head -c 1000 /dev/zero'));
    expect(r.stdout.length).to.equal(1000);
    await front.relays[front.relays.length - 1]?.closed;
    await calls.done();
    // A second call would have failed done() at once; a late one shows here.
    await new Promise((r) => setImmediate(r));
    expect(observed.summaries).to.have.length(1);
  });
});
