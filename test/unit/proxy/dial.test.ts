import { expect } from 'chai';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { silentLogger } from '../../../lib/log.js';
import { dialChain } from '../../../lib/proxy/dial.js';
import type { HopTarget } from '../../../lib/proxy/types.js';

const hostKey = generateKeyPair('ed25519', 256, 'host');
const clientKey = generateKeyPair('ed25519', 256, 'client');
const otherKey = generateKeyPair('ed25519', 256, 'other');

/** A target that accepts `accepted` (a key's blob or a password); it records the methods tried. */
async function target(accepted: { blob?: string; password?: string }): Promise<{ port: number; tried: string[]; close: () => void }> {
  const tried: string[] = [];
  const server = new ssh2.Server({ hostKeys: [hostKey.privateKey] }, (conn) => {
    conn.on('authentication', (ctx) => {
      tried.push(ctx.method);
      if (ctx.method === 'publickey' && ctx.key.data.toString('base64') === accepted.blob) return ctx.accept();
      if (ctx.method === 'password' && ctx.password === accepted.password) return ctx.accept();
      ctx.reject(['publickey', 'password']);
    });
    conn.on('ready', () => conn.end());
    conn.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, tried, close: () => server.close() };
}

function hop(port: number, auth: { privateKey?: string; password?: string }): HopTarget {
  return { name: 't', host: '127.0.0.1', port, username: 'u', ...auth, verifyHostKey: () => Promise.resolve() };
}

describe('proxy: dialing a hop logs in with its key, then its password', () => {
  const cases: [string, { blob?: string; password?: string }, { privateKey?: string; password?: string }, boolean][] = [
    ['the key', { blob: clientKey.publicKey.split(' ')[1] }, { privateKey: clientKey.privateKey, password: 'pw' }, true],
    ['the password after a refused key', { password: 'pw' }, { privateKey: otherKey.privateKey, password: 'pw' }, true],
    ['the password alone', { password: 'pw' }, { password: 'pw' }, true],
    ['nothing that fits', { password: 'pw' }, { privateKey: otherKey.privateKey, password: 'nope' }, false],
  ];
  for (const [name, accepted, auth, ok] of cases) {
    it(`${name}: ${ok ? 'in' : 'refused'}`, async () => {
      const t = await target(accepted);
      try {
        const result = await dialChain([hop(t.port, auth)], { log: silentLogger }).then((c) => { c.close(); return 'in'; }, (err: unknown) => String(err));
        if (ok) expect(result).to.equal('in');
        else expect(result).to.match(/authentication failed/);
      } finally {
        t.close();
      }
    });
  }
});
