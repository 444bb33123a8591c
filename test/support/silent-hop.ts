/**
 * A first hop that lets anyone in and never answers a `direct-tcpip` open (a
 * hung or hostile jump host): for tests of a dial given up while it waits.
 */
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import ssh2 from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../lib/crypto/ssh-keys.js';

/** The silent hop: its port, how many channel opens it was asked for, its connections' sockets. */
export interface SilentHop {
  port: number;
  asked(): number;
  sockets: Socket[];
  close(): void;
}

/** Starts a silent hop on 127.0.0.1:0. */
export async function silentHop(): Promise<SilentHop> {
  let asked = 0;
  const sockets: Socket[] = [];
  const server = new ssh2.Server({ hostKeys: [generateKeyPair('ed25519', 256, 'host').privateKey] }, (conn) => {
    sockets.push((conn as unknown as { _sock: Socket })._sock);
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('tcpip', () => { asked++; });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    asked: () => asked,
    sockets,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  };
}
