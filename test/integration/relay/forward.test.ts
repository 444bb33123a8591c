import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, type TempDir } from '../../support/keys.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { hopTo, relayOptions, run, sshArgs, startFront, suiteKeys, type Front, type Observed } from './harness.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve(typeof a === 'object' && a ? a.port : 0);
  }));
}

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

/** Connects (retrying while the listener comes up) and returns the socket. */
async function connectRetry(port: number, timeoutMs = 10_000): Promise<Socket> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Sends `data`, half-closes, and collects everything until the peer closes. */
function roundTrip(sock: Socket, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => { got += d; });
    sock.once('error', reject);
    sock.once('close', () => resolve(got));
    sock.resume();
    sock.end(data);
  });
}

/** A long-running ssh (for -L/-D/-R), stopped by its pid. */
class LongSsh {
  stderr = '';
  #child: ChildProcess;
  #exited: Promise<void>;
  constructor(args: string[], env?: NodeJS.ProcessEnv) {
    this.#child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'], env: env ?? process.env });
    this.#child.stderr?.setEncoding('utf8');
    this.#child.stderr?.on('data', (s: string) => { this.stderr += s; });
    this.#exited = new Promise((r) => this.#child.once('exit', () => r()));
  }
  async waitFor(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = this.stderr.match(re);
      if (m) return m;
      if (Date.now() > until) throw new Error(`timed out waiting for ${re}: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.#exited;
  }
}

describe('relay: forwards (-W, -L, -D, -R), agent (-A) and hop chains', function () {
  let tmp: TempDir;
  let keys: ReturnType<typeof suiteKeys>;
  let target: SshdTarget;
  let hop: SshdTarget;
  let front: Front;
  let echo: Server;
  let echoPort: number;
  let observed: Observed;
  const sockets = new Set<Socket>();

  before(async function () {
    requireSshd(this);
    tmp = tempDir();
    keys = suiteKeys(tmp.path);
    [target, hop] = await Promise.all([
      startSshd({ authorizedKeys: [keys.portal.publicKey] }),
      startSshd({ authorizedKeys: [keys.portal.publicKey] }),
    ]);
    echo = createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.pipe(s); });
    echoPort = await listen(echo);
    front = await startFront(keys.front, (login) => {
      const recording = { mode: 'everything', dir: join(tmp.path, 'rec'), baseName: `s-${login}`, user: 'bob', host: login } as const;
      const chains: Record<string, ReturnType<typeof hopTo>[]> = {
        web: [hopTo(target, keys.portal)],
        twohops: [hopTo(hop, keys.portal, 'hop'), hopTo(target, keys.portal)],
        threehops: [hopTo(hop, keys.portal, 'hop'), hopTo(hop, keys.portal, 'hop-again'), hopTo(target, keys.portal)],
      };
      return relayOptions({ chain: chains[login] ?? chains.web ?? [], recording }, observed);
    });
  });
  beforeEach(() => { observed = { events: [], summaries: [] }; });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => echo?.close(r));
    await front?.close();
    await Promise.all([target?.stop(), hop?.stop()]);
    tmp?.remove();
  });

  it('-W (stdio forward) relays both ways with half-close', async () => {
    const r2 = await run('ssh', ['-W', `127.0.0.1:${echoPort}`, ...sshArgs(front, keys.user, 'web')], { input: 'ping\n', timeoutMs: 10_000 });
    expect(r2.stdout.toString()).to.equal('ping\n');
    expect(r2.code).to.equal(0);
    await front.relays[front.relays.length - 1]?.closed;
    const closed = observed.events.find((e) => e.type === 'forward-closed');
    expect(closed).to.include({ kind: 'direct-tcpip', to: `127.0.0.1:${echoPort}`, bytesUp: 5, bytesDown: 5 });
    expect(observed.summaries[0]?.recordings.some((p) => p.endsWith('.tunnels.log'))).to.equal(true);
  });

  it('-L local forward', async () => {
    const lport = await freePort();
    const ssh = new LongSsh(['-N', '-L', `${lport}:127.0.0.1:${echoPort}`, ...sshArgs(front, keys.user, 'web')]);
    try {
      const sock = await connectRetry(lport);
      expect(await roundTrip(sock, 'hello -L')).to.equal('hello -L');
    } finally {
      await ssh.stop();
    }
  });

  it('-D dynamic (SOCKS5) forward', async () => {
    const lport = await freePort();
    const ssh = new LongSsh(['-N', '-D', `127.0.0.1:${lport}`, ...sshArgs(front, keys.user, 'web')]);
    try {
      const sock = await connectRetry(lport);
      const reply = (n: number): Promise<Buffer> => new Promise((resolve) => {
        let buf = Buffer.alloc(0);
        const on = (d: Buffer): void => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= n) { sock.off('data', on); sock.pause(); resolve(buf); }
        };
        sock.on('data', on);
        sock.resume();
      });
      sock.write(Buffer.from([5, 1, 0]));
      expect([...(await reply(2))]).to.deep.equal([5, 0]);
      const port = Buffer.alloc(2);
      port.writeUInt16BE(echoPort);
      sock.write(Buffer.concat([Buffer.from([5, 1, 0, 1, 127, 0, 0, 1]), port]));
      const r = await reply(10);
      expect(r[1]).to.equal(0);
      expect(await roundTrip(sock, 'through socks')).to.equal('through socks');
    } finally {
      await ssh.stop();
    }
  });

  it('-R remote forward with port 0 (allocated port reported back)', async () => {
    const ssh = new LongSsh(['-o', 'LogLevel=INFO', '-N', '-R', `0:127.0.0.1:${echoPort}`, ...sshArgs(front, keys.user, 'web')]);
    try {
      const m = await ssh.waitFor(/Allocated port (\d+) for remote forward/);
      const port = Number(m[1]);
      expect(port).to.be.greaterThan(0);
      const sock = await connectRetry(port);
      expect(await roundTrip(sock, 'hello -R')).to.equal('hello -R');
    } finally {
      await ssh.stop();
    }
    expect(observed.events.some((e) => e.type === 'remote-forward' && e.action === 'bound')).to.equal(true);
  });

  it('-R remote forward on a fixed port', async () => {
    const rport = await freePort();
    const ssh = new LongSsh(['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `127.0.0.1:${rport}:127.0.0.1:${echoPort}`, ...sshArgs(front, keys.user, 'web')]);
    try {
      const sock = await connectRetry(rport);
      expect(await roundTrip(sock, 'fixed -R')).to.equal('fixed -R');
    } finally {
      await ssh.stop();
    }
  });

  it('-R forward cancelled through a control master (cancel-tcpip-forward)', async () => {
    const rport = await freePort();
    const ctl = join(tmp.path, 'ctl.sock');
    const master = new LongSsh(['-M', '-S', ctl, '-N', '-o', 'ExitOnForwardFailure=yes', '-R', `127.0.0.1:${rport}:127.0.0.1:${echoPort}`, ...sshArgs(front, keys.user, 'web')]);
    try {
      const sock = await connectRetry(rport);
      expect(await roundTrip(sock, 'before cancel')).to.equal('before cancel');
      const r = await run('ssh', ['-S', ctl, '-O', 'cancel', '-R', `127.0.0.1:${rport}:127.0.0.1:${echoPort}`, ...sshArgs(front, keys.user, 'web')]);
      expect(r.code, r.stderr).to.equal(0);
      await new Promise((res) => setTimeout(res, 200));
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect(rport, '127.0.0.1', () => { s.destroy(); resolve(false); });
        s.once('error', () => resolve(true));
      });
      expect(refused).to.equal(true);
    } finally {
      await run('ssh', ['-S', ctl, '-O', 'exit', ...sshArgs(front, keys.user, 'web')]);
      await master.stop();
    }
    expect(observed.events.some((e) => e.type === 'remote-forward' && e.action === 'cancelled')).to.equal(true);
  });

  it('reuses one upstream connection for every channel of a connection (multiplexed sessions)', async () => {
    const ctl = join(tmp.path, 'mux.sock');
    const master = new LongSsh(['-M', '-S', ctl, '-N', ...sshArgs(front, keys.user, 'web')]);
    try {
      for (let i = 0; i < 50; i++) {
        if ((await run('ssh', ['-S', ctl, '-O', 'check', ...sshArgs(front, keys.user, 'web')])).code === 0) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      const outs = await Promise.all(['one', 'two', 'three'].map((w) => run('ssh', ['-S', ctl, ...sshArgs(front, keys.user, 'web', `echo ${w}`)])));
      expect(outs.map((o) => o.stdout.toString())).to.deep.equal(['one\n', 'two\n', 'three\n']);
    } finally {
      await run('ssh', ['-S', ctl, '-O', 'exit', ...sshArgs(front, keys.user, 'web')]);
      await master.stop();
    }
    expect(observed.events.filter((e) => e.type === 'upstream-connected')).to.have.length(1);
    expect(observed.events.filter((e) => e.type === 'channel-started')).to.have.length(3);
  });

  it('-L to a unix socket on the target (direct-streamlocal)', async () => {
    const remote = join(tmp.path, 'remote.sock');
    const server = createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.pipe(s); });
    await new Promise<void>((resolve) => server.listen(remote, () => resolve()));
    chmodSync(tmp.path, 0o755);
    chmodSync(remote, 0o777);
    const lport = await freePort();
    const ssh = new LongSsh(['-N', '-L', `127.0.0.1:${lport}:${remote}`, ...sshArgs(front, keys.user, 'web')]);
    try {
      const sock = await connectRetry(lport);
      expect(await roundTrip(sock, 'via unix socket')).to.equal('via unix socket');
    } finally {
      await ssh.stop();
      await new Promise((r) => server.close(r));
    }
    expect(observed.events.some((e) => e.type === 'forward-opened' && e.kind === 'direct-streamlocal')).to.equal(true);
  });

  it('-A agent forwarding, several agent channels in flight', async () => {
    const sockPath = join(tmp.path, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sockPath], { stdio: 'ignore' });
    const agentExited = new Promise((r) => agent.once('exit', r));
    try {
      const env = { ...process.env, SSH_AUTH_SOCK: sockPath };
      for (let i = 0; i < 100; i++) {
        const r = await run('ssh-add', ['-l'], { env });
        if (r.code === 1 || r.code === 0) break;
        await new Promise((res) => setTimeout(res, 30));
      }
      expect((await run('ssh-add', [keys.user.path], { env })).code).to.equal(0);
      const fp = (await run('ssh-keygen', ['-l', '-f', `${keys.user.path}.pub`])).stdout.toString().split(' ')[1];
      const r = await run('ssh', ['-A', ...sshArgs(front, keys.user, 'web', 'ssh-add -l & ssh-add -l & ssh-add -l & wait')], { env, timeoutMs: 15_000 });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.toString().split('\n').filter((l) => l.includes(fp))).to.have.length(3);
    } finally {
      agent.kill('SIGTERM');
      await agentExited;
    }
  });

  it('reaches the target through a hop', async () => {
    const r = await run('ssh', sshArgs(front, keys.user, 'twohops', 'echo via-hop; exit 5'));
    expect(r.stdout.toString()).to.equal('via-hop\n');
    expect(r.code).to.equal(5);
    await front.relays[front.relays.length - 1]?.closed;
    expect(observed.events.find((e) => e.type === 'upstream-connected')).to.deep.include({ hops: ['hop', 'target'] });
  });

  it('reaches the target through hops of hops', async () => {
    const r = await run('ssh', sshArgs(front, keys.user, 'threehops', 'echo via-hops; exit 4'));
    expect(r.stdout.toString(), r.stderr).to.equal('via-hops\n');
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(4);
  });
});
