/**
 * Issue 14, item 11: a database that accepts connections and never answers.
 * The portal reaches the shared MariaDB through a TCP relay running in a child
 * process; SIGSTOP freezes the relay (the kernel still accepts connections,
 * nothing answers), SIGCONT thaws it. MariaDB itself is never touched, so this
 * runs in the normal suite (the stop-MariaDB variant is database-outage.fault.ts).
 */
import { expect } from 'chai';
import type { TestDb } from '../../support/databases.js';
import { requireOrSkip } from '../../support/env.js';
import { Held } from '../../support/held-ssh.js';
import { freshMariaDb, mariaAddr, mariadbAvailable } from '../../support/mariadb.js';
import { startPortal, startWebTarget, type Portal } from '../../support/portal.js';
import { requireSshd, type SshdTarget } from '../../support/sshd.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { waitFor } from '../../support/wait.js';

const unavailable = 'error: database unavailable, try again later';
const dbTimeoutMs = 2_000;
/** Room for a loaded 2-core machine on top of the deadline. */
const marginMs = 6_000;

/** Runs `fn` and returns how long it took. */
async function timed(fn: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await fn();
  return Date.now() - started;
}

describe('ops: a frozen database answers "unavailable" within --db-timeout, and the node recovers', function () {
  this.timeout(90_000);
  let proxy: TcpProxy | undefined;
  let portal: Portal | undefined;
  let target: SshdTarget | undefined;
  let relay: Held | undefined;
  let shell: Held | undefined;

  before(async function () {
    requireSshd(this);
    requireOrSkip(this, await mariadbAvailable(), 'MariaDB on 127.0.0.1:3306');
    proxy = await startTcpProxy(mariaAddr.host, mariaAddr.port);
    const m = await freshMariaDb();
    const db: TestDb = {
      config: { driver: 'mysql', conn: { ...mariaAddr, port: proxy.port, database: m.name, tls: 'off' } },
      flags: { driver: 'mysql', conn: `root@tcp(127.0.0.1:${proxy.port})/${m.name}?parseTime=true` },
      drop: m.drop,
    };
    portal = await startPortal(this, { driver: 'mysql', db, flags: { dbTimeout: `${dbTimeoutMs}ms`, nodeName: 'node-freeze' } });
    target = await startWebTarget(portal);
  });
  after(async () => {
    proxy?.thaw();
    await relay?.stop();
    await shell?.stop();
    await portal?.close();
    await proxy?.close();
    await target?.stop();
  });

  it('opens a relayed session and an admin shell before the freeze', async () => {
    const p = portal as Portal;
    relay = new Held(p.port, p.adminKey, 'web01', ['exec cat']);
    await relay.send('before\n', (h) => h.out === 'before\n', 'the relay to echo');
    shell = new Held(p.port, p.adminKey, 'admin', []);
    await shell.send('hostgroup ls --quiet\n', (h) => /^\d+\n$/.test(h.out), 'the admin shell to answer');
  });

  it('answers shell commands and logins with "database unavailable" while frozen; relays flow', async () => {
    const p = portal as Portal;
    const s = shell as Held;
    const r = relay as Held;
    proxy?.freeze();
    await r.send('during\n', (h) => h.out === 'before\nduring\n', 'the relay to echo while frozen');

    // A pooled connection that hangs: the query's deadline kills it.
    const read = await timed(() => s.send('hostgroup ls --quiet\n', (h) => h.err.split(unavailable).length === 2, 'a read to report the freeze'));
    expect(read).to.be.below(dbTimeoutMs + marginMs);
    // A write, then the pool opening a new connection to a server that never greets.
    const write = await timed(() => s.send('hostgroup create --name during-freeze\n', (h) => h.err.split(unavailable).length === 3, 'a write to report the freeze'));
    expect(write).to.be.below(dbTimeoutMs + marginMs);
    const info = await timed(() => s.send('info\n', (h) => h.err.split(unavailable).length === 4, '`info` to report the freeze'));
    expect(info).to.be.below(dbTimeoutMs + marginMs);

    let fresh: Awaited<ReturnType<Portal['ssh']>> | undefined;
    const login = await timed(async () => {
      fresh = await p.ssh(['info'], { timeoutMs: 30_000, extra: ['-o', 'BatchMode=no', '-o', 'LogLevel=INFO'] });
    });
    expect(fresh?.code).to.equal(255);
    expect(fresh?.stderr).to.include(unavailable);
    expect(login).to.be.below(2 * dbTimeoutMs + marginMs);

    const healthy = await p.ssh([], { login: 'healthcheck', key: null, timeoutMs: 15_000 });
    expect([healthy.code, healthy.stdout]).to.deep.equal([0, 'OK\n']);
    await r.send('still\n', (h) => h.out.endsWith('during\nstill\n'), 'the relay to keep flowing');
    expect(s.err).to.not.include('internal error');
    // The operator reads why.
    expect(p.logs.some((l) => / warn database (query|connection) timed out: database unavailable/.test(l)), p.logs.slice(-20).join('\n')).to.equal(true);
  });

  it('recovers by itself once the database answers again', async () => {
    const p = portal as Portal;
    const s = shell as Held;
    const r = relay as Held;
    proxy?.thaw();
    await waitFor(async () => (await p.ssh(['hostgroup', 'ls', '--quiet'])).code === 0, 30_000, 'a new admin command to work');
    const before = s.out.length;
    await s.send('hostgroup create --name after-freeze\nhostgroup ls\n', (h) => /after-freeze/.test(h.out.slice(before)), 'the old shell to work again');
    const hostgroups = await p.ssh(['hostgroup', 'ls']);
    expect(hostgroups.stdout).to.not.include('during-freeze');
    const fresh = await p.ssh(['echo', 'new-session'], { login: 'web01' });
    expect([fresh.code, fresh.stdout], fresh.stderr).to.deep.equal([0, 'new-session\n']);
    await r.send('after\n', (h) => h.out.endsWith('still\nafter\n'), 'the old relay to keep flowing');
    expect(await r.stop()).to.equal(0);
    relay = undefined;
  });
});
