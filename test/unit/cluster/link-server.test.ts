import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { Duplex, Readable } from 'node:stream';
import ssh2 from 'ssh2';
import type { ServerChannel } from 'ssh2';
import { joinLinkChannel, serveLink } from '../../../lib/cluster/link-server.js';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { createLogger } from '../../../lib/log.js';
import { pumpReadAheadBytes, pumpWriteBufferBytes } from '../../../lib/ssh/pump.js';
import { withSsh2Pair } from '../../support/ssh2-pair.js';

const MiB = 1024 * 1024;

/** A local end (a target's socket) that accepts writes and never completes one, and sends nothing. */
function deafLocal(): Duplex {
  return new Duplex({ read: () => undefined, write: () => undefined });
}

/** A local end that sends `total` bytes, 64 KiB at a time, as fast as it is read, and never completes a write. */
function floodingLocal(total: number): Duplex {
  let sent = 0;
  const d = new Duplex({
    read() {
      while (sent < total) {
        sent += 64 * 1024;
        if (!this.push(Buffer.alloc(64 * 1024, 0x41))) return;
      }
    },
    write: () => undefined,
  });
  return d;
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('cluster/link-server: a tunnelled stream joined to a link channel holds the relay\'s caps, not ssh2\'s buffers', function () {
  this.timeout(20_000);

  it('a node sending into a local end that never reads: the serving side holds the window it granted once, not that again', async () => {
    let held = -1;
    await withSsh2Pair({
      serve(ch) {
        const local = deafLocal();
        joinLinkChannel(ch, local);
        setTimeout(() => { held = ch.readableLength + local.writableLength; }, 2_000);
      },
    }, async (ch) => {
      // The other node keeps writing (20 MiB) as the window allows.
      const data = Readable.from((function* () { for (let i = 0; i < 320; i++) yield Buffer.alloc(64 * 1024, 0x42); })());
      data.pipe(ch);
      await settle(2_500);
      data.destroy();
    });
    // The first 2 MiB window is the sender's to use; with ssh2's 2 MiB read-ahead it was granted again (4 MiB held).
    expect(held, 'bytes read ahead on the link channel and queued to the deaf local end').to.be.within(1, 2 * MiB + pumpReadAheadBytes);
  });

  it('a local end flooding a node that never reads: the channel queues at most its write cap, not 2 MiB', async () => {
    let queued = -1;
    await withSsh2Pair({
      serve(ch) {
        joinLinkChannel(ch, floodingLocal(40 * MiB));
        setTimeout(() => { queued = ch.writableLength; }, 2_000);
      },
    }, async () => { await settle(2_500); });
    expect(queued, 'bytes the link channel queued').to.be.within(1, pumpWriteBufferBytes + 64 * 1024);
  });

  it('a stream request (a recording, a remote viewer\'s screen) whose requester never reads: its channel queues at most the write cap, not 2 MiB', async () => {
    const host = generateKeyPair('ed25519', 256);
    let served: ServerChannel | undefined;
    const server = new ssh2.Server({ hostKeys: [host.privateKey] }, (conn) => {
      conn.on('error', () => undefined);
      conn.on('authentication', (ctx) => ctx.accept());
      conn.on('ready', () => serveLink(conn, 'node-a', {
        log: createLogger({ level: 'error' }),
        handle: () => Promise.resolve(null),
        // As the recording fetch does: the file piped into the channel, 40 MiB of it.
        execStream(_req, ch) { served = ch; floodingLocal(40 * MiB).pipe(ch); },
        stream: () => Promise.reject(new Error('no streams here')),
      }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const client = new ssh2.Client();
    try {
      await new Promise<void>((resolve, reject) => {
        client.on('error', reject);
        client.on('ready', () => client.exec(JSON.stringify({ type: 'recording-fetch', sessionId: 1 }), (err) => (err ? reject(err) : resolve())));
        client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'peer:node-a', password: 'p' });
      });
      // The requester reads nothing.
      await settle(2_000);
      expect(served?.writableLength ?? -1, 'bytes queued on the served stream channel').to.be.within(1, pumpWriteBufferBytes + 64 * 1024);
    } finally {
      client.end();
      server.close();
    }
  });
});

describe('cluster/link-server: a link that closes while a stream\'s local end opens', function () {
  this.timeout(20_000);

  it('destroys the local end (the connector\'s channel) instead of joining it to a channel that never closes', async () => {
    const host = generateKeyPair('ed25519', 256);
    let local: Duplex | undefined;
    let linkClosed = false;
    const server = new ssh2.Server({ hostKeys: [host.privateKey] }, (conn) => {
      conn.on('error', () => undefined);
      conn.on('authentication', (ctx) => ctx.accept());
      conn.on('close', () => { linkClosed = true; });
      conn.on('ready', () => serveLink(conn, 'node-b', {
        log: createLogger({ level: 'error' }),
        handle: () => Promise.resolve(null),
        execStream: () => undefined,
        // A connector that answers its channel open only after the link closed.
        stream: async () => {
          await settle(800);
          local = deafLocal();
          return local;
        },
      }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const client = new ssh2.Client();
    try {
      await new Promise<void>((resolve, reject) => {
        client.on('error', reject);
        client.on('ready', () => resolve());
        client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'peer:node-b', password: 'p' });
      });
      client.forwardOut('peer', 0, JSON.stringify({ type: 'tunnel', hostId: 1, connectorId: 1 }), 0, () => undefined);
      await settle(200);
      client.end();
      await settle(1_500);
      expect(linkClosed, 'the link closed first').to.equal(true);
      expect(local, 'the local end opened').to.not.equal(undefined);
      expect(local?.destroyed, 'the local end was destroyed').to.equal(true);
    } finally {
      client.end();
      server.close();
    }
  });
});
