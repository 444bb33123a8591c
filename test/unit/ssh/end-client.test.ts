import { expect } from 'chai';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Client } from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { endClient } from '../../../lib/ssh/end-client.js';
import { closedWithin } from '../../support/wait.js';

const hostKey = generateKeyPair('ed25519', 256).privateKey;
const userKey = generateKeyPair('ed25519', 256).privateKey;

interface Peer { client: Client; serverSocket: Socket; close(): void }

/**
 * A client logged in to an in-process ssh2 server. `deaf`: once the login is
 * done the server stops reading its socket, so it never sees our end and never
 * closes its side (a hung or hostile target).
 */
async function peer(deaf: boolean): Promise<Peer> {
  let serverSocket!: Socket;
  const ssh = new ssh2.Server({ hostKeys: [hostKey] }, (conn) => {
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('ready', () => { if (deaf) serverSocket.pause(); });
  });
  const tcp = createServer((s) => {
    serverSocket = s;
    s.on('error', () => undefined);
    ssh.injectSocket(s);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
  const client = new ssh2.Client();
  client.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve()).once('error', reject);
    client.connect({ host: '127.0.0.1', port: (tcp.address() as AddressInfo).port, username: 'u', privateKey: userKey });
  });
  return { client, serverSocket, close: () => { serverSocket.destroy(); tcp.close(); } };
}

describe('endClient: a connection the portal ends is gone, whatever the peer does', () => {
  it('premise: after ssh2 end(), a peer that never closes its side keeps the socket open (destroy() does nothing then)', async () => {
    const p = await peer(true);
    try {
      p.client.end();
      p.client.destroy();
      expect(await closedWithin(p.client, 1_000)).to.equal(null);
    } finally {
      p.close();
    }
  });

  it('destroys the socket after the grace when the peer never closes its side', async () => {
    const p = await peer(true);
    try {
      endClient(p.client, 300);
      const ms = await closedWithin(p.client, 3_000);
      expect(ms, 'closed after').to.not.equal(null);
      expect(ms).to.be.at.least(250);
    } finally {
      p.close();
    }
  });

  it('a peer that closes its side closes the connection at once, without waiting for the grace', async () => {
    const p = await peer(false);
    try {
      endClient(p.client, 10_000);
      const ms = await closedWithin(p.client, 3_000);
      expect(ms, 'closed after').to.not.equal(null);
      expect(ms).to.be.below(2_000);
    } finally {
      p.close();
    }
  });
});
