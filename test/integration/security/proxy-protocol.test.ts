/**
 * Behind a load balancer: the real HAProxy sends the PROXY protocol (v2 and
 * v1) to a portal started with `--trusted-proxies=127.0.0.1`, and the client's
 * own address must reach events, sessions and the brute-force throttle.
 */
import { expect } from 'chai';
import { Event, Session, SshKey } from '../../../lib/db/entities/index.js';
import type { SendProxy } from '../../support/haproxy.js';
import { requireHaproxy } from '../../support/haproxy.js';
import { requireOrSkip } from '../../support/env.js';
import { sshOptions } from '../../support/openssh.js';
import { runProcess, type RunResult } from '../../support/process.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';
import { rawClient, startBalanced, type Balanced } from './balancer.js';

/** Per flavour: a client that logs in, one that gets banned, one that must not be affected by the ban. */
const flavours: { flavour: SendProxy; client: string; banned: string; other: string }[] = [
  { flavour: 'send-proxy-v2', client: '127.0.0.2', banned: '127.0.0.3', other: '127.0.0.4' },
  { flavour: 'send-proxy', client: '127.0.0.5', banned: '127.0.0.6', other: '127.0.0.7' },
];

const v2Header = (src: number[]): Buffer => Buffer.concat([
  Buffer.from('0d0a0d0a000d0a515549540a', 'hex'), Buffer.from([0x21, 0x11, 0, 12]),
  Buffer.from([...src, 127, 0, 0, 1]), Buffer.from([0x30, 0x39, 0x08, 0xae]),
]);

describe('security: PROXY protocol behind a real HAProxy', function () {
  this.timeout(120_000);
  let b: Balanced;
  let target: SshdTarget;
  const logsSince = (n: number): string[] => b.portal.logs.slice(n);

  before(async function () {
    requireHaproxy(this);
    requireSshd(this);
    b = await startBalanced(this, { maxAuthFailures: '3', authCooldown: '10m', loginGraceTime: '6s' });
    const portalKey = await b.portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    const created = await b.ssh('send-proxy-v2', '127.0.0.2', ['host', 'create', '--name', 'web01', `${target.user}@127.0.0.1:${target.port}`]);
    expect(created.code, created.stderr).to.equal(0);
  });
  after(async () => {
    await b?.close();
    await target?.stop();
  });

  it("passes HAProxy's health checks, which carry a header too (v2: LOCAL, v1: the check's own address)", async () => {
    // Checks run every 500 ms and three failures mark the server DOWN: give them time to fail.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await b.haproxy.status()).to.deep.equal({ 'send-proxy-v2': 'UP', 'send-proxy': 'UP' });
    expect(b.portal.logs.filter((l) => l.includes('bad PROXY protocol header'))).to.deep.equal([]);
  });

  for (const { flavour, client, banned, other } of flavours) {
    it(`${flavour}: the client's own address reaches the session row, session inspect and events`, async () => {
      const r = await b.ssh(flavour, client, ['echo', 'through-haproxy'], { login: 'web01' });
      expect([r.code, r.stdout], r.stderr).to.deep.equal([0, 'through-haproxy\n']);
      const m = b.portal.app.db.manager;
      const [session] = await m.find(Session, { order: { id: 'DESC' }, take: 1 });
      expect(session?.remoteAddr).to.match(new RegExp(`^${client.replace(/\./g, '\\.')}:\\d+$`));
      const inspected = await b.ssh(flavour, client, ['session', 'inspect', String(session?.id)]);
      expect(inspected.stdout).to.include(`"RemoteAddr": "${session?.remoteAddr}"`);
      const connect = await m.findOneByOrFail(Event, { domain: 'session', action: 'connect', args: `{"session_id":${session?.id},"remote_addr":"${session?.remoteAddr}"}` });
      expect(connect.entity).to.equal('web01');
      // A failed login is recorded with the client's address too, never the balancer's.
      const stranger = b.portal.newKey(`stranger-${flavour}`);
      expect((await b.ssh(flavour, client, ['version'], { key: stranger })).code).to.equal(255);
      await waitFor(async () => (await m.findBy(Event, { domain: 'auth', action: 'failure' })).some((e) => e.args?.includes(`"remote_addr":"${client}:`)), 5_000, 'the failure event');
      const failures = await m.findBy(Event, { domain: 'auth', action: 'failure' });
      expect(failures.filter((e) => e.args?.includes('"remote_addr":"127.0.0.1:'))).to.deep.equal([]);
    });

    it(`${flavour}: a client in cool-down behind the balancer does not lock out another client`, async () => {
      const stranger = b.portal.newKey(`brute-${flavour}`);
      for (let i = 0; i < 3; i++) expect((await b.ssh(flavour, banned, ['version'], { key: stranger })).code).to.equal(255);
      const from = b.portal.logs.length;
      // The admin's valid key from the banned client is refused now …
      await waitFor(async () => (await b.ssh(flavour, banned, ['version'])).code === 255, 10_000, 'the ban');
      expect(logsSince(from).some((l) => l.includes('address in authentication cool-down') && l.includes(banned))).to.equal(true);
      // … while another client through the same balancer still gets in.
      const ok = await b.ssh(flavour, other, ['version']);
      expect([ok.code, ok.stdout], ok.stderr).to.deep.equal([0, 'test\n']);
    });
  }

  it("failed logins on the balancer's own connections (PROXY UNKNOWN) cool down only those: not its clients, not its health checks", async () => {
    // The real OpenSSH client through a pipe that speaks for the balancer (127.0.0.1, trusted): a v1 UNKNOWN header first.
    const unknownPipe = `sh -c "{ printf 'PROXY UNKNOWN\\r\\n'; exec cat; } | exec socat - TCP:127.0.0.1:${b.portal.port}"`;
    const viaUnknown = (opts: { key?: string | null; login?: string } = {}): Promise<RunResult> =>
      b.portal.ssh(['version'], { ...opts, extra: ['-o', `ProxyCommand=${unknownPipe}`] });
    const ok = await viaUnknown();
    expect([ok.code, ok.stdout], ok.stderr).to.deep.equal([0, 'test\n']);
    const stranger = b.portal.newKey('stranger-unknown');
    const from = b.portal.logs.length;
    for (let i = 0; i < 3; i++) expect((await viaUnknown({ key: stranger })).code).to.equal(255);
    // Those connections are in cool-down now: even the admin's key is refused on them …
    await waitFor(async () => (await viaUnknown()).code === 255, 10_000, 'the cool-down');
    expect(logsSince(from).some((l) => l.includes('address in authentication cool-down') && l.includes("127.0.0.1 (the balancer's own connections)"))).to.equal(true);
    // … at once, with no failure counted or written per refusal, and one log line per 10 s.
    const failures = async (): Promise<number> => (await b.portal.app.db.manager.findBy(Event, { domain: 'auth', action: 'failure' })).length;
    const [events0, lines0] = [await failures(), b.portal.logs.length];
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      expect((await viaUnknown()).code).to.equal(255);
      expect(Date.now() - t).to.be.below(2_000);
    }
    expect(await failures()).to.equal(events0);
    expect(b.portal.logs.slice(lines0).filter((l) => l.includes('address in authentication cool-down')).length).to.be.at.most(1);
    // … while the healthcheck login on them is still answered,
    const hc = await viaUnknown({ login: 'healthcheck', key: null });
    expect(hc.code, hc.stderr).to.equal(0);
    // HAProxy's own checks (v2: LOCAL) still pass, and every client behind the balancer still gets in.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await b.haproxy.status()).to.deep.equal({ 'send-proxy-v2': 'UP', 'send-proxy': 'UP' });
    for (const flavour of ['send-proxy-v2', 'send-proxy'] as const) {
      const r = await b.ssh(flavour, '127.0.0.10', ['version']);
      expect([r.code, r.stdout], r.stderr).to.deep.equal([0, 'test\n']);
    }
  });

  it("send-proxy-v2: an IPv6 client's address reaches its session row (TCP6 header)", async function () {
    const port = b.haproxy.ipv6Port;
    // Without an IPv6 loopback the unit tests still cover TCP6 headers; under CI=true it must be there.
    requireOrSkip(this, port !== null, 'an IPv6 loopback (::1)');
    if (port === null) return;
    const viaV6 = (key: string, login: string, args: string[]): Promise<RunResult> =>
      runProcess('ssh', [...sshOptions(port, key), '-o', 'BindAddress=::1', `${login}@::1`, ...args]);
    const r = await viaV6(b.portal.adminKey, 'web01', ['echo', 'over-ipv6']);
    expect([r.code, r.stdout], r.stderr).to.deep.equal([0, 'over-ipv6\n']);
    const [session] = await b.portal.app.db.manager.find(Session, { order: { id: 'DESC' }, take: 1 });
    expect(session?.remoteAddr).to.match(/^::1:\d+$/);
  });

  it('refuses a connection from the trusted balancer address that sends no header', async () => {
    const from = b.portal.logs.length;
    const direct = await b.portal.ssh(['version']);
    expect(direct.code).to.equal(255);
    expect(logsSince(from).some((l) => l.includes('bad PROXY protocol header') && l.includes('no PROXY protocol header (from a trusted proxy)'))).to.equal(true);
  });

  it('refuses a PROXY header (v1 or v2) from an address that is not a trusted balancer', async () => {
    const ident = Buffer.from('SSH-2.0-OpenSSH_9.2\r\n');
    const headers = [Buffer.from('PROXY TCP4 10.1.2.3 127.0.0.1 12345 2222\r\n'), v2Header([10, 1, 2, 3])];
    for (const header of headers) {
      const from = b.portal.logs.length;
      const r = await rawClient(b.portal.port, { from: '127.0.0.8', send: Buffer.concat([header, ident]), timeoutMs: 5_000 });
      expect(r.closedAfterMs).to.be.below(3_000);
      expect(logsSince(from).some((l) => l.includes('PROXY protocol header from an untrusted address') && l.includes('127.0.0.8'))).to.equal(true);
    }
    expect(b.portal.logs.some((l) => l.includes('10.1.2.3'))).to.equal(false);
    // Without a header, a direct client from an untrusted address is served as before.
    const direct = await b.portal.ssh(['version'], { extra: ['-o', 'BindAddress=127.0.0.8'] });
    expect([direct.code, direct.stdout], direct.stderr).to.deep.equal([0, 'test\n']);
  });
});
