import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import type { Client, Connection } from 'ssh2';
import { trimHandshake, trimHandshakes, type TrimReport } from '../../../lib/ssh/handshake-trim.js';

const hostKey = generateKeyPair('ed25519', 256).privateKey;
const userKey = generateKeyPair('ed25519', 256).privateKey;

interface Pair { client: Client; server: Connection; close(): Promise<void> }

/** An in-process server echoing every exec channel's input, and a client logged in to it. */
async function pair(algorithms?: ssh2.Algorithms): Promise<Pair> {
  let server!: Connection;
  const srv = new ssh2.Server({ hostKeys: [hostKey] }, (conn) => {
    server = conn;
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('session', (accept) => accept().on('exec', (ok) => { const ch = ok(); ch.pipe(ch); }));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve()).once('error', reject);
    client.connect({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, username: 'u', privateKey: userKey, algorithms });
  });
  return { client, server, close: () => new Promise((resolve) => { client.end(); srv.close(() => resolve()); }) };
}

/** Sends `text` through an exec channel and resolves with what came back. */
function echo(client: Client, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec('echo', (err, ch) => {
      if (err) { reject(err); return; }
      let got = '';
      ch.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.length >= text.length) { resolve(got); ch.close(); }
      });
      ch.write(text);
    });
  });
}

/** A rekey (ssh2 starts one from its server side only), resolved once the client finished it too. */
const rekey = (p: Pair): Promise<void> => Promise.all([
  new Promise<void>((resolve, reject) => p.server.rekey((err?: Error) => (err ? reject(err) : resolve()))),
  new Promise<void>((resolve) => p.client.once('handshake', () => resolve())),
]).then(() => undefined);

describe('lib/ssh/handshake-trim: what ssh2 keeps of a finished key exchange is freed', () => {
  it('frees the X25519 keys on both sides and the server-side completion closure; copies pool slices out', async () => {
    const p = await pair();
    try {
      const server: TrimReport = trimHandshake(p.server);
      const client: TrimReport = trimHandshake(p.client);
      expect(server).to.include({ keys: true, finish: true });
      expect(client).to.include({ keys: true, finish: false });
      expect(server.unpooled + client.unpooled).to.be.greaterThan(0);
      // Nothing left the second time.
      expect(trimHandshake(p.server)).to.deep.equal({ unpooled: 0, keys: false, finish: false, sharedOffer: false });
    } finally {
      await p.close();
    }
  });

  it('keeps the connection working: data, then a rekey, then data again', async () => {
    const p = await pair();
    try {
      trimHandshake(p.server);
      trimHandshake(p.client);
      expect(await echo(p.client, 'before')).to.equal('before');
      await rekey(p);
      trimHandshake(p.server);
      trimHandshake(p.client);
      expect(await echo(p.client, 'after a rekey')).to.equal('after a rekey');
      await rekey(p);
      expect(await echo(p.client, 'after a second rekey')).to.equal('after a second rekey');
    } finally {
      await p.close();
    }
  });

  it('shares one algorithm offer between clients offering the same algorithms', async () => {
    const algorithms: ssh2.Algorithms = { cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'] };
    const a = await pair(algorithms);
    const b = await pair(algorithms);
    try {
      trimHandshake(a.client);
      expect(trimHandshake(b.client).sharedOffer).to.equal(true);
      const offer = (c: Client): unknown => (c as unknown as { _protocol: { _offer: unknown } })._protocol._offer;
      expect(offer(b.client)).to.equal(offer(a.client));
      await rekey(b);
      expect(await echo(b.client, 'rekeyed with the shared offer')).to.equal('rekeyed with the shared offer');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('trimHandshakes trims after the first handshake and after each rekey by itself', async () => {
    const p = await pair();
    try {
      trimHandshakes(p.client);
      await rekey(p);
      await new Promise((resolve) => setImmediate(resolve));
      expect(trimHandshake(p.client)).to.include({ keys: false });
      expect(await echo(p.client, 'still there')).to.equal('still there');
    } finally {
      await p.close();
    }
  });
});
