import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import type { Database } from '../../../lib/db/database.js';
import { silentLogger } from '../../../lib/log.js';
import { defaultLimits } from '../../../lib/proxy/limits.js';
import { serveConnector, type ConnectorDeps } from '../../../lib/server/connector.js';
import { Tunnels } from '../../../lib/tunnel/index.js';

type Who = Parameters<typeof serveConnector>[1];

/** A database whose every read hangs: a forward's check of its key never ends. */
const hangingDb = { manager: { find: () => new Promise(() => undefined) } } as unknown as Database;

const pi42 = { id: 1, name: 'pi42', url: 'tunnel://pi@pi42' } as unknown as Who['host'];
const who: Who = { kind: 'connector', key: { algo: 'ssh-ed25519', blob: '', fingerprint: 'SHA256:test', comment: '' }, host: pi42, hosts: [pi42], enrolled: false };

/** An ssh2 server serving every login as connector `who` of pi42, and a client logged in to it. */
async function connectorPair(deps: ConnectorDeps): Promise<{ client: ssh2.Client; closed: Promise<void>; stop(): void }> {
  const host = generateKeyPair('ed25519', 256);
  const server = new ssh2.Server({ hostKeys: [host.privateKey] }, (conn: Connection) => {
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('ready', () => serveConnector(conn, who, '127.0.0.1:1', deps, silentLogger, () => conn.end()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = new ssh2.Client();
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    client.once('error', reject);
    client.once('ready', () => resolve());
    client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'tunnel:pi42', password: 'p' });
  });
  client.on('error', () => undefined);
  return { client, closed, stop: () => { client.end(); server.close(); } };
}

/** Sends `n` keepalives with want-reply, as OpenSSH's ServerAlive does. */
async function ping(client: ssh2.Client, n: number): Promise<void> {
  const proto = (client as unknown as { _protocol?: { ping(): void } })._protocol;
  if (!proto) throw new Error('ssh2 internals changed: no _protocol');
  for (let i = 0; i < n; i++) {
    proto.ping();
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
}

const settled = (p: Promise<void>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);

describe('server/connector: requests queued behind a forward being checked', function () {
  this.timeout(20_000);

  it(`a keepalive flood behind a forward whose key check hangs ends the connection past ${defaultLimits.maxQueuedReplies}`, async () => {
    const tunnels = new Tunnels({ self: 'a', log: silentLogger, now: () => new Date() });
    const pair = await connectorPair({ db: hangingDb, tunnels, now: () => new Date() });
    try {
      pair.client.forwardIn('', 0, () => undefined);
      await new Promise((r) => setTimeout(r, 200));
      await ping(pair.client, defaultLimits.maxQueuedReplies + 200);
      expect(await settled(pair.closed, 5_000), 'the connection closed').to.equal(true);
      expect(tunnels.connections.size, 'connections tracked').to.equal(0);
    } finally {
      pair.stop();
    }
  });

  it('a few keepalives while a forward waits do not end it', async () => {
    const tunnels = new Tunnels({ self: 'a', log: silentLogger, now: () => new Date() });
    const pair = await connectorPair({ db: hangingDb, tunnels, now: () => new Date() });
    try {
      pair.client.forwardIn('', 0, () => undefined);
      await new Promise((r) => setTimeout(r, 200));
      await ping(pair.client, 20);
      expect(await settled(pair.closed, 1_500), 'the connection closed').to.equal(false);
      expect(tunnels.connections.size, 'connections tracked').to.equal(1);
    } finally {
      pair.stop();
    }
  });
});
