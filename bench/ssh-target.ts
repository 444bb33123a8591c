/**
 * A lightweight SSH target for scale benchmarks, in its own process (so its
 * CPU and memory are not the portal's): an ssh2 server that lets any public
 * key in, answers `exec true` with status 0 and runs every other command (and
 * `shell`) as `cat`, an echo that stays open until the client closes. Two
 * thousand of those cost a few hundred MiB here, where two thousand sshd
 * sessions would cost two thousand processes. IPC as child.ts.
 */
import { createServer, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { ServerChannel } from 'ssh2';
import { generateKeyPair } from '../lib/crypto/ssh-keys.js';
import { serveBenchIpc } from './child.js';

/** Behaves like `cat`: echoes what it reads, ends with the client. */
function echo(ch: ServerChannel): void {
  ch.on('data', (d: Buffer) => ch.write(d));
  ch.stderr.on('error', () => undefined);
  ch.on('error', () => undefined);
}

// generateKeyPair retries ssh2's ed25519 keys that do not parse (about one in 300).
const hostKey = generateKeyPair('ed25519', 256).privateKey;
const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
  client.on('error', () => undefined);
  client.on('authentication', (ctx) => {
    if (ctx.method === 'publickey') ctx.accept();
    else ctx.reject(['publickey']);
  });
  client.on('session', (accept) => {
    const session = accept();
    session.on('pty', (ok) => ok());
    session.on('env', (ok) => ok());
    session.on('window-change', (ok) => ok());
    session.on('shell', (ok) => echo(ok()));
    session.on('exec', (ok, _reject, info) => {
      const ch = ok();
      if (info.command.trim() !== 'true') return echo(ch);
      ch.exit(0);
      ch.end();
    });
  });
});
// Sockets are accepted here so that a client that resets does not reach ssh2 as an unhandled error.
const sockets = new Set<Socket>();
const tcp = createServer((s) => {
  s.on('error', () => undefined);
  sockets.add(s);
  s.once('close', () => sockets.delete(s));
  server.injectSocket(s);
});
tcp.listen(0, '127.0.0.1', () => {
  const address = tcp.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  serveBenchIpc(address.port, () => new Promise<void>((resolve) => {
    tcp.close(() => resolve());
    for (const s of sockets) s.destroy();
  }));
});
