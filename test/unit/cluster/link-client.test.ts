import { expect } from 'chai';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import { PeerLinkError } from '../../../lib/errors.js';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { PeerLinks } from '../../../lib/cluster/link-client.js';
import { createLogger, Secret } from '../../../lib/log.js';
import { pumpReadAheadBytes } from '../../../lib/ssh/pump.js';
import { connectorOpenTimeoutMs } from '../../../lib/tunnel/index.js';
import { execServer } from '../../support/ssh2-pair.js';

/**
 * A peer node that holds every stream channel open and refuses every exec, as
 * a node at its cap of channels in flight refuses a request (link-server.ts).
 */
async function refusingPeer(): Promise<{ tcp: Server; port: number; hostKeyBlob: Buffer; connections: () => number }> {
  const host = generateKeyPair('ed25519', 256);
  let connections = 0;
  const ssh = new ssh2.Server({ hostKeys: [host.privateKey] }, (client) => {
    connections++;
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.accept());
    client.on('tcpip', (accept) => { accept().on('error', () => undefined); });
    client.on('session', (accept) => { accept().on('exec', (_accept, reject) => reject()); });
  });
  const tcp = createServer((s) => { s.on('error', () => undefined); ssh.injectSocket(s); });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
  return { tcp, port: (tcp.address() as AddressInfo).port, hostKeyBlob: Buffer.from(host.publicKey.split(' ')[1] ?? '', 'base64'), connections: () => connections };
}

/**
 * A peer node that answers every stream request with its header and then as
 * much data as the window lets through (40 MiB), as a node serving a
 * recording does.
 */
async function streamingPeer(): Promise<{ tcp: Server; port: number; hostKeyBlob: Buffer }> {
  const { server: ssh, hostPublicKey } = execServer({
    serve: (ch) => {
      ch.write(JSON.stringify({ ok: true, value: null }) + '\n');
      const send = (left: number): void => {
        while (left > 0) {
          left -= 64 * 1024;
          if (!ch.write(Buffer.alloc(64 * 1024, 0x41))) { ch.once('drain', () => send(left)); return; }
        }
      };
      send(40 * 1024 * 1024);
    },
  });
  const tcp = createServer((s) => { s.on('error', () => undefined); ssh.injectSocket(s); });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
  return { tcp, port: (tcp.address() as AddressInfo).port, hostKeyBlob: Buffer.from(hostPublicKey.split(' ')[1] ?? '', 'base64') };
}

/** A stream channel as the peer saw it: when it opened it, and whether it saw it close. */
interface SeenChannel { connectorId: number; closed: boolean }

/**
 * A peer node that opens each tunnel stream channel after `delayMs(connectorId)`
 * (a serving node waiting on a slow connector), and notes when its side closes.
 */
async function latePeer(delayMs: (connectorId: number) => number): Promise<{ tcp: Server; port: number; hostKeyBlob: Buffer; seen: SeenChannel[] }> {
  const host = generateKeyPair('ed25519', 256);
  const seen: SeenChannel[] = [];
  const ssh = new ssh2.Server({ hostKeys: [host.privateKey] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.accept());
    client.on('tcpip', (accept, _reject, info) => {
      const connectorId = (JSON.parse(info.destIP) as { connectorId: number }).connectorId;
      setTimeout(() => {
        const ch = accept();
        const s: SeenChannel = { connectorId, closed: false };
        seen.push(s);
        ch.on('error', () => undefined);
        // Read, as the serving node's relay does: ssh2 emits a server channel's 'close' only after its 'end'.
        ch.resume();
        ch.once('close', () => { s.closed = true; });
      }, delayMs(connectorId));
    });
  });
  const tcp = createServer((sock) => { sock.on('error', () => undefined); ssh.injectSocket(sock); });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
  return { tcp, port: (tcp.address() as AddressInfo).port, hostKeyBlob: Buffer.from(host.publicKey.split(' ')[1] ?? '', 'base64'), seen };
}

function linksTo(peer: { port: number; hostKeyBlob: Buffer }, timeoutMs?: number): PeerLinks {
  return new PeerLinks({
    self: 'node-b', clusterKey: new Secret(generateKeyPair('ed25519', 256).privateKey), hostKeyBlob: peer.hostKeyBlob,
    resolve: () => Promise.resolve({ host: '127.0.0.1', port: peer.port }), log: createLogger({ level: 'error' }), timeoutMs,
  });
}

describe('node link client: a stream whose consumer does not read', () => {
  it('holds the window it granted once and its read-ahead cap, not ssh2\'s 2 MiB read-ahead and that window again', async () => {
    const peer = await streamingPeer();
    const links = linksTo(peer);
    try {
      const rc = await links.open('node-a', { type: 'recording-fetch', sessionId: 1 });
      // Nobody reads (an admin's terminal that stopped, a viewer that stalled).
      await new Promise((r) => setTimeout(r, 2_000));
      expect(rc.readableLength, 'bytes read ahead on the stream channel').to.be.within(1, 2 * 1024 * 1024 + pumpReadAheadBytes);
      rc.destroy();
    } finally {
      links.close();
      peer.tcp.close();
    }
  });
});

describe('node link client: a request the peer refuses', () => {
  it('fails that request only: the link and its open streams go on', async () => {
    const peer = await refusingPeer();
    const links = linksTo(peer);
    let held: Duplex | undefined;
    try {
      held = await links.stream('node-a', { type: 'tunnel', hostId: 1, connectorId: 1 });
      let heldClosed = false;
      held.once('close', () => { heldClosed = true; });
      const err = await links.request('node-a', { type: 'ping' }).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(PeerLinkError);
      expect((err as Error).message).to.include('refused');
      await new Promise((r) => setTimeout(r, 200));
      expect(heldClosed, 'the stream already open on the link was closed').to.equal(false);
      expect(peer.connections(), 'connections the peer saw (a broken link is dialed again)').to.equal(1);
    } finally {
      held?.destroy();
      links.close();
      peer.tcp.close();
    }
  });
});

describe('node link client: a tunnel stream the peer opens late', function () {
  const requestMs = 300;
  this.timeout(connectorOpenTimeoutMs + 20_000);

  it(`waits for the serving node's connector (${connectorOpenTimeoutMs / 1000} s) and closes a channel opened after it gave up`, async () => {
    // Stream 1: the connector answered just before the serving node's own timeout. Stream 2: past the requester's.
    const peer = await latePeer((id) => (id === 1 ? connectorOpenTimeoutMs + requestMs / 3 : connectorOpenTimeoutMs + requestMs + 700));
    const links = linksTo(peer, requestMs);
    let served: Duplex | undefined;
    try {
      const [first, second] = await Promise.all([
        links.stream('node-a', { type: 'tunnel', hostId: 1, connectorId: 1 }).then((d) => d, (e: unknown) => e),
        links.stream('node-a', { type: 'tunnel', hostId: 1, connectorId: 2 }).then((d) => d, (e: unknown) => e),
      ]);
      expect(first, 'the stream the connector answered in time').to.not.be.instanceOf(Error);
      served = first as Duplex;
      expect(second).to.be.instanceOf(PeerLinkError);
      expect((second as Error).message).to.equal('no answer in time');
      // The peer opens stream 2 about 700 ms after the requester gave up: the requester closes it at once.
      await new Promise((r) => setTimeout(r, 1_500));
      const late = peer.seen.find((c) => c.connectorId === 2);
      expect(late, 'the late channel reached the peer').to.not.equal(undefined);
      expect(late?.closed, 'the late channel was closed (it would hold one of the link\'s channels for good)').to.equal(true);
      expect(peer.seen.find((c) => c.connectorId === 1)?.closed, 'the stream in use').to.equal(false);
    } finally {
      served?.destroy();
      links.close();
      peer.tcp.close();
    }
  });
});

describe('node link client: a node that cannot be dialed', () => {
  it('is named, its address is not (it reaches users through their errors)', async () => {
    // A port nobody listens on: bound, then closed.
    const tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
    const port = (tcp.address() as AddressInfo).port;
    await new Promise((r) => tcp.close(r));
    const links = linksTo({ port, hostKeyBlob: Buffer.alloc(0) });
    try {
      const err = await links.request('node-a', { type: 'ping' }).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(PeerLinkError);
      expect((err as Error).message).to.equal('node node-a unreachable');
    } finally {
      links.close();
    }
  });
});
