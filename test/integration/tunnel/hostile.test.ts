import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type ssh2 from 'ssh2';
import { fingerprintOf } from '../../../lib/crypto/ssh-keys.js';
import { Host, TunnelKey } from '../../../lib/db/entities/index.js';
import { maxForwardRequests } from '../../../lib/server/connector.js';
import { dropLingerMs } from '../../../lib/server/listener.js';
import { connectorOpenTimeoutMs, maxConnectorsPerHost } from '../../../lib/tunnel/index.js';
import { connectAttacker, rssMiB, type AttackClient } from '../../support/attack-client.js';
import { connectDeafPeer } from '../../support/deaf-peer.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { waitFor } from '../../support/wait.js';
import { tunnelEvents } from './connector.js';

/** Whether the portal accepts a `tcpip-forward` (false too when the connection is already gone: ssh2 throws). */
const forwardIn = (c: ssh2.Client, addr: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    try {
      c.forwardIn(addr, port, (err) => resolve(!err));
    } catch {
      resolve(false);
    }
  });

/** Whether `p` settles within `ms`. */
const within = async (p: Promise<unknown>, ms: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); });
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
};

describe('tunnel connectors written as an attacker (ssh2 client)', function () {
  let portal: Portal;
  let key: string;
  const open: AttackClient[] = [];
  const attacker = async (): Promise<AttackClient> => {
    const a = await connectAttacker(portal.port, 'tunnel:pi42', key);
    open.push(a);
    return a;
  };

  /** A new connector key bound to pi42: its private key and fingerprint. */
  const boundKey = async (name: string): Promise<{ key: string; fingerprint: string }> => {
    const path = portal.newKey(name);
    const [algo, blob] = readFileSync(`${path}.pub`, 'utf8').split(' ');
    const m = portal.app.db.manager;
    const host = await m.findOneByOrFail(Host, { name: 'pi42' });
    const fingerprint = fingerprintOf(blob ?? '');
    await m.save(m.create(TunnelKey, { hostId: host.id, fingerprint, authorizedKey: `${algo} ${blob}`, comment: '', deletedAt: null }));
    return { key: readFileSync(path, 'utf8'), fingerprint };
  };

  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3' });
    expect((await portal.ssh(['host', 'create', '--tunnel', 'pi@pi42'])).code).to.equal(0);
    expect((await portal.ssh(['host', 'create', '--tunnel', 'pi@pi43'])).code).to.equal(0);
    key = (await boundKey('attacker_connector')).key;
  });
  afterEach(() => { for (const a of open.splice(0)) a.client.end(); });
  after(async () => { await portal?.close(); });

  it('gets no session, no direct-tcpip, no streamlocal forward, no host it is not bound to', async () => {
    const a = await attacker();
    const session = await new Promise<boolean>((resolve) => { a.client.exec('id', (err) => resolve(!err)); });
    expect(session, 'session channel').to.equal(false);
    const direct = await new Promise<boolean>((resolve) => { a.client.forwardOut('127.0.0.1', 1, '127.0.0.1', 22, (err) => resolve(!err)); });
    expect(direct, 'direct-tcpip').to.equal(false);
    const local = await new Promise<boolean>((resolve) => { a.client.openssh_forwardInStreamLocal('/tmp/x.sock', (err) => resolve(!err)); });
    expect(local, 'streamlocal').to.equal(false);
    const before = await tunnelEvents(portal, 'refused', 'pi42');
    expect(await forwardIn(a.client, 'pi43', 22), 'a host the key is not bound to').to.equal(false);
    expect(await tunnelEvents(portal, 'refused', 'pi42')).to.equal(before + 1);
    expect(await forwardIn(a.client, 'localhost', 22), 'its own host').to.equal(true);
  });

  it(`caps tcpip-forward requests per connection (${maxForwardRequests})`, async () => {
    const a = await attacker();
    const answers: boolean[] = [];
    for (let i = 0; i < maxForwardRequests + 4; i++) answers.push(await forwardIn(a.client, 'localhost', 1000 + i));
    expect(answers.filter(Boolean)).to.have.length(1);
    expect(await forwardIn(a.client, 'pi42', 22)).to.equal(false);
  });

  it(`caps live connectors per host (${maxConnectorsPerHost})`, async () => {
    // All authenticated before any forward: the 5th is refused at its forward.
    const clients: AttackClient[] = [];
    for (let i = 0; i < maxConnectorsPerHost + 1; i++) clients.push(await attacker());
    const results: boolean[] = [];
    for (const a of clients) results.push(await forwardIn(a.client, 'localhost', 22));
    expect(results).to.deep.equal([...Array<boolean>(maxConnectorsPerHost).fill(true), false]);
    // Once full, a new connector is refused at authentication (where OpenSSH can show why).
    let refused = '';
    await attacker().catch((err: unknown) => { refused = String(err); });
    expect(refused).to.include('authentication methods failed');
    // A connector retrying against a full host is no guessing: its address never cools down (20 failures would).
    for (let i = 0; i < 12; i++) await attacker().then(() => expect.fail('authenticated'), () => undefined);
    expect((await portal.ssh(['host', 'ls'])).code).to.equal(0);
    const list = await portal.ssh(['host', 'tunnels', 'pi42']);
    expect(list.stdout).to.include(`Total: ${maxConnectorsPerHost} connectors.`);
  });

  it(`a connector that never answers a session's channel open: the user gets one error line after ${connectorOpenTimeoutMs / 1000} s; admin answered within 2 s`, async () => {
    const rss0 = rssMiB();
    const a = await attacker();
    let opens = 0;
    // Seen, never accepted nor refused.
    a.client.on('tcp connection', () => { opens++; });
    expect(await forwardIn(a.client, 'localhost', 22)).to.equal(true);
    // The connectors of earlier tests are gone: this one serves the session.
    await waitFor(async () => /Total: 1 connectors\./.test((await portal.ssh(['host', 'tunnels', 'pi42'])).stdout), 10_000, 'only this connector');
    const t = Date.now();
    const user = portal.ssh(['true'], { login: 'pi42', timeoutMs: connectorOpenTimeoutMs + 20_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    const t0 = Date.now();
    expect((await portal.ssh(['info'])).code).to.equal(0);
    expect(Date.now() - t0).to.be.below(2_000);
    const r = await user;
    expect(opens).to.equal(1);
    expect(r.code).to.equal(255);
    expect(r.stderr.trim()).to.equal(`error: the connector of pi42 did not answer within ${connectorOpenTimeoutMs / 1000} s`);
    expect(Date.now() - t).to.be.within(connectorOpenTimeoutMs - 500, connectorOpenTimeoutMs + 10_000);
    expect(portal.logs.filter((l) => l.includes('tunnel connector did not answer a channel open'))).to.have.length(1);
    expect(rssMiB() - rss0).to.be.below(100);
  });

  it('a connector that answers a user with garbage ends that session, not the portal', async () => {
    const a = await attacker();
    a.client.on('tcp connection', (_info, accept) => {
      const ch = accept();
      ch.end('this is not an SSH server\r\n');
    });
    expect(await forwardIn(a.client, 'localhost', 22)).to.equal(true);
    const r = await portal.ssh(['true'], { login: 'pi42' });
    expect(r.code).to.equal(255);
    expect(r.stderr).to.match(/^error: /m);
    expect((await portal.ssh(['host', 'ls'])).code).to.equal(0);
  });

  it('a connector that forwards nothing yet: host tunnel-revoke ends it, and no forward of it registers after', async () => {
    const k = await boundKey('idle_connector');
    const a = await connectAttacker(portal.port, 'tunnel:pi42', k.key);
    open.push(a);
    const r = await portal.ssh(['host', 'tunnel-revoke', 'pi42', k.fingerprint]);
    expect(r.stdout).to.equal('1 connector key(s) revoked, 1 live connector(s) dropped\n');
    // The forward sent after the revocation: refused, or the connection is already gone.
    const forwarded = await Promise.race([forwardIn(a.client, '', 0), a.closed.then(() => false)]);
    expect(forwarded, 'forward after the revocation').to.equal(false);
    expect(await within(a.closed, 3_000), 'the connection closed').to.equal(true);
    expect((await portal.ssh(['host', 'tunnels', 'pi42'])).stdout).to.not.include(k.fingerprint);
  });

  it('a forward checks its key again: one removed since the login is refused and its connection dropped', async () => {
    const k = await boundKey('stale_connector');
    const a = await connectAttacker(portal.port, 'tunnel:pi42', k.key);
    open.push(a);
    // Removed behind this node's back (a revocation whose drop did not reach it): only the database knows.
    await portal.app.db.manager.delete(TunnelKey, { fingerprint: k.fingerprint });
    const forwarded = await Promise.race([forwardIn(a.client, '', 0), a.closed.then(() => false)]);
    expect(forwarded, 'forward of a revoked key').to.equal(false);
    expect(await within(a.closed, 3_000), 'the connection closed').to.equal(true);
    expect((await portal.ssh(['host', 'tunnels', 'pi42'])).stdout).to.not.include(k.fingerprint);
  });

  it('a dropped connector that ignores DISCONNECT, never closes its side and keeps pinging: unlisted at once, its socket closed', async () => {
    const k = await boundKey('deaf_connector');
    const d = await connectDeafPeer(portal.port, 'tunnel:pi42', k.key);
    open.push(d);
    expect(await forwardIn(d.client, 'localhost', 22)).to.equal(true);
    expect((await portal.ssh(['host', 'tunnels', 'pi42'])).stdout).to.include(k.fingerprint);
    const r = await portal.ssh(['host', 'tunnel-revoke', 'pi42', k.fingerprint]);
    expect(r.stdout).to.equal('1 connector key(s) revoked, 1 live connector(s) dropped\n');
    expect((await portal.ssh(['host', 'tunnels', 'pi42'])).stdout, 'listed after its drop').to.not.include(k.fingerprint);
    expect(await within(d.closed, dropLingerMs + 3_000), 'the portal closed its socket').to.equal(true);
    expect(d.finSeen(), 'the portal\'s FIN reached the peer (which ignored it)').to.equal(true);
    expect(d.pings()).to.be.above(0);
  });
});
