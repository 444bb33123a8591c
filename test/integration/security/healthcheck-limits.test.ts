import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type ssh2 from 'ssh2';
import { connectAttacker, rssMiB, type AttackClient } from '../../support/attack-client.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { waitFor } from '../../support/wait.js';

/** Runs `exec` on a connection; resolves with its stdout and exit code. */
function exec(client: ssh2.Client, command: string): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let out = '';
      let code: number | null = null;
      stream.on('data', (d: Buffer) => { out += d.toString(); });
      stream.stderr.resume();
      stream.on('exit', (c: number | null) => { code = c; });
      stream.on('close', () => resolve({ out, code }));
    });
  });
}

/** `ssh admin@portal version` through real OpenSSH; resolves with how long it took. */
async function timedAdmin(portal: Portal): Promise<number> {
  const t = Date.now();
  const r = await portal.ssh(['version'], { timeoutMs: 20_000 });
  expect([r.code, r.stdout]).to.deep.equal([0, 'test\n']);
  return Date.now() - t;
}

describe('security: healthcheck logins cannot be held', function () {
  let portal: Portal;
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3', flags: { maxStartups: '60', loginGraceTime: '30s' } });
  });
  after(async () => { await portal?.close(); });

  it('exec form: answers OK, then closes the connection the client keeps open', async () => {
    const a = await connectAttacker(portal.port, 'healthcheck');
    const r = await exec(a.client, 'anything');
    expect(r).to.deep.equal({ out: 'OK\n', code: 0 });
    const answered = Date.now();
    const closedAt = await a.closed;
    expect(closedAt - answered).to.be.below(3_000);
  });

  it('refuses a second session on the same connection', async () => {
    const a = await connectAttacker(portal.port, 'healthcheck');
    const [first, second] = await Promise.allSettled([exec(a.client, 'x'), exec(a.client, 'y')]);
    expect(first).to.deep.include({ status: 'fulfilled' });
    expect(second.status).to.equal('rejected');
    await a.closed;
  });

  it('no-channel form (`ssh -N healthcheck@portal`): the portal closes it within a few seconds', async () => {
    const t = Date.now();
    const r = await portal.ssh([], { login: 'healthcheck', key: null, extra: ['-N'], timeoutMs: 30_000 });
    expect(r.signal).to.equal(null);
    expect(Date.now() - t).to.be.below(8_000);
    const shell = await portal.ssh([], { login: 'healthcheck', key: null });
    expect([shell.code, shell.stdout]).to.deep.equal([0, 'OK\n']);
  });

  it('held healthcheck logins stay under --max-startups and are all closed; fds and RSS bounded; admin answered within 2 s', async () => {
    const fdsBefore = openFds();
    const rssBefore = rssMiB();
    const attackers: AttackClient[] = [];
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, portal.app.connections); }, 20);
    const adminTimes: number[] = [];
    try {
      const stopAt = Date.now() + 8_000;
      const admin = (async () => {
        await new Promise((r) => setTimeout(r, 3_000));
        while (Date.now() < stopAt) adminTimes.push(await timedAdmin(portal));
      })();
      // The attacker logs in 10 times every 200 ms and never closes anything.
      while (Date.now() < stopAt) {
        const batch = await Promise.allSettled(Array.from({ length: 10 }, () => connectAttacker(portal.port, 'healthcheck')));
        for (const b of batch) if (b.status === 'fulfilled') attackers.push(b.value);
        await new Promise((r) => setTimeout(r, 200));
      }
      await admin;
      expect(attackers.length).to.be.above(100);
      expect(peak).to.be.at.most(60 + 3);
      // Every held login is closed by the portal, shortly after its authentication.
      await Promise.all(attackers.map((a) => a.closed));
      await waitFor(() => portal.app.connections === 0, 5_000, 'no connection left');
      expect(openFds() - fdsBefore).to.be.below(50);
      expect(rssMiB() - rssBefore).to.be.below(200);
      expect(adminTimes.length).to.be.above(0);
      expect(Math.max(...adminTimes)).to.be.below(2_000);
    } finally {
      clearInterval(sampler);
      for (const a of attackers) a.sock.destroy();
    }
  });
});

/** Descriptors open in this process (portal and attackers share it; Linux). */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('security: --max-connections', function () {
  let portal: Portal;
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3', flags: { maxConnections: '6', maxStartups: '4', loginGraceTime: '30s' } });
  });
  after(async () => { await portal?.close(); });

  it('an unauthenticated flood cannot fill it; authenticated connections can, and the next one is refused with a log line', async () => {
    const adminKey = readFileSync(portal.adminKey, 'utf8');
    const held: AttackClient[] = [];
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) held.push(await connectAttacker(portal.port, 'admin', adminKey));
      // Idle sockets without a key make room for a real user: the oldest is dropped.
      for (let i = 0; i < 20; i++) idle.push(await rawSocket(portal.port));
      expect(await timedAdmin(portal)).to.be.below(2_000);
      for (let i = 0; i < 2; i++) held.push(await connectAttacker(portal.port, 'admin', adminKey));
      await waitFor(() => portal.app.connections === 6, 5_000, 'six authenticated connections');
      const refused = await portal.ssh(['version']);
      expect(refused.code).to.equal(255);
      expect(portal.logs.some((l) => l.includes('connection refused: --max-connections reached'))).to.equal(true);
      held.pop()?.client.end();
      await waitFor(() => portal.app.connections < 6, 5_000, 'a free slot');
      expect(await timedAdmin(portal)).to.be.below(2_000);
    } finally {
      for (const h of held) h.sock.destroy();
      for (const s of idle) s.destroy();
    }
  });
});

function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}
