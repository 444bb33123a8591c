import { expect } from 'chai';
import { prng } from '../../support/prng.js';
import { connect } from 'node:net';
import { startPortal, type Portal } from '../../support/portal.js';

function bytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** Sends `payload` on a fresh connection and waits until the server closes it (or 3 s pass). */
function send(port: number, payload: Buffer, linger = 300): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(payload);
      setTimeout(() => s.destroy(), linger);
    });
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => resolve());
  });
}

const ident = Buffer.from('SSH-2.0-OpenSSH_9.2\r\n');

/** A binary packet with a claimed length (the server must not trust it). */
function packet(length: number, body: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(length >>> 0, 0);
  h[4] = 4;
  return Buffer.concat([h, body]);
}

describe('security: hostile bytes on the SSH port never take the server down', function () {
  const seed = Number(process.env.FUZZ_SEED ?? 20261123);
  let portal: Portal;
  before(async function () { portal = await startPortal(this, { driver: 'sqlite3' }); });
  after(async () => { await portal?.close(); });

  it(`survives random bytes, truncated handshakes and oversized packets (seed ${seed})`, async () => {
    const rand = prng(seed);
    const cases: Buffer[] = [];
    for (let i = 0; i < 40; i++) cases.push(bytes(rand, 1 + Math.floor(rand() * 4096)));
    for (let i = 0; i < 20; i++) cases.push(Buffer.concat([ident, bytes(rand, Math.floor(rand() * 2048))]));
    for (let i = 0; i < 10; i++) cases.push(ident.subarray(0, Math.floor(rand() * ident.length)));
    cases.push(Buffer.concat([ident, packet(0xffffffff, bytes(rand, 64))]));
    cases.push(Buffer.concat([ident, packet(35_000_000, bytes(rand, 1024))]));
    cases.push(Buffer.concat([ident, packet(0, Buffer.alloc(0))]));
    cases.push(Buffer.from('SSH-1.5-old\r\n'));
    cases.push(Buffer.concat([Buffer.from('x'.repeat(300_000)), ident]));
    for (let i = 0; i < cases.length; i += 10) {
      await Promise.all(cases.slice(i, i + 10).map((c) => send(portal.port, c)));
    }
    const r = await portal.ssh([], { login: 'healthcheck', key: null });
    expect([r.code, r.stdout]).to.deep.equal([0, 'OK\n']);
    const admin = await portal.ssh(['version']);
    expect(admin.code).to.equal(0);
  });
});
