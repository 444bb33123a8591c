/**
 * A real ssh2 server and a real ssh2 client on 127.0.0.1, for tests of what
 * ssh2 does with one exec channel: the server accepts any login and hands
 * its side of the channel to `serve`; the client runs `use` on its side.
 * Both ends are closed when `use` settles.
 */
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { ClientChannel, Connection, ServerChannel } from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../lib/crypto/ssh-keys.js';

export interface Ssh2Pair {
  /** Runs on each server connection first (the mends the portal applies per connection). */
  onConnection?: (conn: Connection) => void;
  /** The server's side of the exec channel. */
  serve(ch: ServerChannel): void;
}

/**
 * The server half alone: an ssh2 server that accepts any login and hands each
 * exec channel to `pair.serve`, and its host key (ed25519, OpenSSH public form).
 */
export function execServer(pair: Ssh2Pair): { server: ssh2.Server; hostPublicKey: string } {
  const host = generateKeyPair('ed25519', 256);
  const server = new ssh2.Server({ hostKeys: [host.privateKey] }, (conn) => {
    pair.onConnection?.(conn);
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('session', (accept) => {
      accept().on('exec', (acceptExec) => {
        const ch = acceptExec();
        ch.on('error', () => undefined);
        pair.serve(ch);
      });
    });
  });
  return { server, hostPublicKey: host.publicKey };
}

export async function withSsh2Pair<T>(pair: Ssh2Pair, use: (ch: ClientChannel) => Promise<T>): Promise<T> {
  const { server } = execServer(pair);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = new ssh2.Client();
  try {
    return await new Promise<T>((resolve, reject) => {
      client.on('error', reject);
      client.on('ready', () => client.exec('x', (err, ch) => {
        if (err) { reject(err); return; }
        use(ch).then(resolve, reject);
      }));
      client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'u', password: 'p' });
    });
  } finally {
    client.end();
    server.close();
  }
}
