/**
 * The access re-check fails open: while a node cannot reach the database it
 * ends nobody (live connections keep flowing, new channels on them too), logs
 * it once, and applies what changed meanwhile as soon as the database answers.
 * Node B reaches MariaDB through a TCP proxy the test can cut; node A reaches
 * it directly and revokes during the cut.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { SshKey } from '../../../lib/db/entities/index.js';
import { freshDb, type TestDb } from '../../support/databases.js';
import { mariaAddr } from '../../support/mariadb.js';
import { openTunnel, startMaster } from '../../support/mux.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { tempDir } from '../../support/tmp.js';
import { addWebHost, enroll, waitForRevokeEvents, type AdminRun } from '../security/revocation-kit.js';
import { newKey, startNode, waitFor, type Node } from './nodes.js';

/** A TCP proxy to MariaDB that can refuse every connection (cut) and let them through again. */
class CuttableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;

  constructor() {
    this.#server = createServer((down) => {
      if (this.#cut) { down.destroy(); return; }
      const up = connect(mariaAddr.port, mariaAddr.host);
      for (const s of [down, up]) {
        this.#sockets.add(s);
        s.on('error', () => undefined);
        s.once('close', () => { this.#sockets.delete(s); down.destroy(); up.destroy(); });
      }
      down.pipe(up);
      up.pipe(down);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const addr = this.#server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  cut(on: boolean): void {
    this.#cut = on;
    if (on) for (const s of this.#sockets) s.destroy();
  }

  close(): Promise<void> {
    this.cut(true);
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

describe('cluster revocation: the re-check fails open while the database is unreachable', function () {
  this.timeout(180_000);
  let db: TestDb;
  let dir: ReturnType<typeof tempDir>;
  let proxy: CuttableProxy;
  let a: Node;
  let b: Node;
  let target: SshdTarget;
  const adminA: AdminRun = (args) => a.ssh(args);

  before(async function () {
    requireSshd(this);
    db = await freshDb(this, 'mysql');
    dir = tempDir('sshportal-revocation-outage-');
    proxy = new CuttableProxy();
    const proxied: TestDb = { ...db, flags: { ...db.flags, conn: db.flags.conn.replace(`:${mariaAddr.port})`, `:${await proxy.listen()})`) } };
    const token = randomBytes(12).toString('hex');
    const adminKey = newKey(dir.path, 'admin_key');
    a = await startNode({ db, name: 'node-a', dir: dir.path, token, adminKey });
    b = await startNode({ db: proxied, name: 'node-b', dir: dir.path, token, adminKey });
    expect((await a.ssh([], { login: `invite:${token}` })).code).to.equal(0);
    const portalKey = await a.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    await addWebHost(adminA, target);
  });
  after(async () => {
    proxy?.cut(false);
    await Promise.all([a?.close(), b?.close()]);
    await proxy?.close();
    await target?.stop();
    await db?.drop();
    dir?.remove();
  });

  it('ends nobody during the outage, then ends the user revoked meanwhile within 5 s of recovery', async () => {
    const m = a.app.db.manager;
    const u = await enroll(adminA, m, a.port, dir.path, 'outage');
    const master = await startMaster(b.port, u.key, 'web01', dir.path, 'outage');
    try {
      const held = master.hold(['cat']);
      const tunnel = await openTunnel(await master.forward(`127.0.0.1:${target.port}`), /^SSH-2\.0-/);
      proxy.cut(true);
      expect((await adminA(['user', 'rm', 'outage'])).code).to.equal(0);
      // Several re-check rounds of node B fail meanwhile.
      await waitFor(() => b.logs.some((l) => l.includes('access re-check impossible, live connections kept')), 10_000, 'the fail-open log line');
      await new Promise((r) => setTimeout(r, 5_000));
      expect(await master.alive(), 'the connection outlives the outage').to.equal(true);
      const during = await master.run(['echo', 'during']);
      expect([during.code, during.stdout], during.stderr).to.deep.equal([0, 'during\n']);
      expect(b.logs.filter((l) => l.includes('access re-check impossible'))).to.have.length(1);

      proxy.cut(false);
      const start = Date.now();
      await waitFor(async () => !(await master.alive()), 5_000, 'the connection to end once the database answers');
      console.log(`      ended ${Date.now() - start} ms after the database came back`);
      await held.exited;
      expect(held.stderr()).to.match(/^error: access revoked: user removed/m);
      await tunnel.closed;
      expect(b.logs.some((l) => l.includes('access re-check resumed'))).to.equal(true);
      expect((await waitForRevokeEvents(m, 'outage', 1)).map((e) => e.node)).to.deep.equal(['node-b']);
    } finally {
      await master.exit();
    }
  });
});
