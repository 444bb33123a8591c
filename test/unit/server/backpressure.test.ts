import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { guardOutput } from '../../../lib/server/backpressure.js';
import { waitFor } from '../../support/wait.js';

/**
 * A real socket pair on loopback: the server side answers every byte it reads
 * with 16 bytes (like replies to want-reply requests) and is guarded; the peer
 * sends and never reads.
 */
async function pair(onServer: (s: Socket) => void): Promise<{ server: Server; peer: Socket; side: Socket }> {
  let side: Socket | undefined;
  const server = createServer((s) => {
    side = s;
    // Small writes, like SSH packets: the unsent output shrinks as soon as the peer reads a little.
    s.on('data', (d: Buffer) => { for (let i = 0; i < 16; i++) s.write(Buffer.alloc(d.length)); });
    s.on('error', () => undefined);
    onServer(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const peer = connect(address.port, '127.0.0.1');
  peer.on('error', () => undefined);
  await once(peer, 'connect');
  peer.pause();
  await waitFor(() => side !== undefined, 2_000, 'server side');
  return { server, peer, side: side as Socket };
}

/** Writes until the peer's own buffer holds more than 1 MiB (the guarded side stopped reading) or `maxBytes` were sent. */
async function push(peer: Socket, maxBytes: number): Promise<number> {
  let sent = 0;
  const chunk = Buffer.alloc(16 * 1024);
  while (sent < maxBytes) {
    if (peer.writableLength > 1024 * 1024) {
      const drained = await Promise.race([once(peer, 'drain').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1_000))]);
      if (!drained) return sent;
    }
    peer.write(chunk);
    sent += chunk.length;
    await new Promise((r) => setImmediate(r));
  }
  return sent;
}

describe('server: guardOutput (backpressure on raw sockets)', function () {
  it('stops reading from a peer that does not read, resumes once it reads, and reports a stuck one', async () => {
    const events: string[] = [];
    let stuckAt = 0;
    const { server, peer, side } = await pair((s) => guardOutput(s, { highWaterBytes: 256 * 1024, stuckMs: 1_500 }, {
      paused: () => events.push('paused'),
      stuck: () => { events.push('stuck'); stuckAt = Date.now(); },
    }));
    try {
      const started = Date.now();
      const sent = await push(peer, 512 * 1024 * 1024);
      // Without the guard the server would buffer 16 × everything sent; with it the peer is stopped early.
      expect(sent).to.be.below(64 * 1024 * 1024);
      expect(events[0]).to.equal('paused');
      expect(side.isPaused()).to.equal(true);
      expect(side.writableLength).to.be.below(8 * 1024 * 1024);
      await waitFor(() => events.includes('stuck'), 5_000, 'stuck report');
      expect(stuckAt - started).to.be.at.least(1_400);
      // A peer that reads again unblocks the guarded side.
      peer.on('data', () => undefined);
      peer.resume();
      await waitFor(() => !side.isPaused(), 5_000, 'reading resumed');
    } finally {
      peer.destroy();
      side.destroy();
      server.close();
    }
  });

  it('never reports a slow reader stuck', async () => {
    const events: string[] = [];
    const { server, peer, side } = await pair((s) => guardOutput(s, { highWaterBytes: 256 * 1024, stuckMs: 3_000 }, {
      paused: () => events.push('paused'),
      stuck: () => events.push('stuck'),
    }));
    // Reads 256 KiB every 200 ms: far slower than the server writes, yet never nothing for long.
    let read = 0;
    const reader = setInterval(() => {
      const chunk = peer.read(256 * 1024) as Buffer | null;
      if (chunk) read += chunk.length;
    }, 200);
    try {
      await push(peer, 32 * 1024 * 1024);
      expect(events[0]).to.equal('paused');
      // Twice the stuck delay: a loaded machine may skip a read or two, never fifteen in a row.
      await new Promise((r) => setTimeout(r, 6_000));
      expect(read).to.be.above(0);
      expect(events).to.not.include('stuck');
    } finally {
      clearInterval(reader);
      peer.destroy();
      side.destroy();
      server.close();
    }
  });
});
