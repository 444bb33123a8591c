import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { parseGlobalRequest } from '../../../lib/proxy/global-requests.js';
import { authorizedKeyOf, fingerprintOf, keyTypeOfBlob } from '../../../lib/crypto/ssh-keys.js';
import { IdleTimer } from '../../../lib/proxy/idle.js';
import { x11Cookie } from '../../../lib/proxy/session-open.js';
import { nativeCryptoAvailable } from '../../../lib/proxy/crypto-check.js';
import { flushed, pump } from '../../../lib/proxy/pump.js';
import { generateKey, tempDir, type TempDir } from '../../support/keys.js';

describe('crypto: host key blobs', () => {
  let tmp: TempDir;
  before(() => { tmp = tempDir(); });
  after(() => tmp.remove());

  it('formats a blob as `type base64` and fingerprints it like ssh-keygen', () => {
    const key = generateKey(join(tmp.path, 'k'));
    const [type, b64] = key.publicKey.split(' ') as [string, string];
    const blob = Buffer.from(b64, 'base64');
    expect(keyTypeOfBlob(blob)).to.equal('ssh-ed25519');
    expect(authorizedKeyOf(blob)).to.equal(`${type} ${b64}`);
    expect(authorizedKeyOf(b64)).to.equal(`${type} ${b64}`);
    const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${key.path}.pub`], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprintOf(`${type} ${b64}`)).to.equal(expected);
    expect(fingerprintOf(blob)).to.equal(expected);
    expect(readFileSync(key.path, 'utf8')).to.contain('OPENSSH PRIVATE KEY');
  });

  const bad: Array<[string, Buffer]> = [['empty', Buffer.alloc(0)], ['zero length type', Buffer.from([0, 0, 0, 0])], ['truncated', Buffer.from([0, 0, 0, 9, 65])]];
  for (const [name, blob] of bad) it(`rejects a ${name} blob`, () => expect(() => keyTypeOfBlob(blob)).to.throw(/invalid/));
});

describe('proxy/global-requests parse', () => {
  const cases: Array<[string, unknown, unknown]> = [
    ['tcpip-forward', { bindAddr: 'localhost', bindPort: 0 }, { name: 'tcpip-forward', address: 'localhost', port: 0 }],
    ['cancel-tcpip-forward', { bindAddr: '', bindPort: 8080 }, { name: 'cancel-tcpip-forward', address: '', port: 8080 }],
    ['streamlocal-forward@openssh.com', { socketPath: '/tmp/s' }, { name: 'streamlocal-forward@openssh.com', socketPath: '/tmp/s' }],
    ['cancel-streamlocal-forward@openssh.com', { socketPath: '/tmp/s' }, { name: 'cancel-streamlocal-forward@openssh.com', socketPath: '/tmp/s' }],
    ['tcpip-forward', { bindAddr: 'x' }, undefined],
    ['tcpip-forward', null, undefined],
    ['something-else', {}, undefined],
  ];
  for (const [name, info, expected] of cases) {
    it(`${name} ${JSON.stringify(info)}`, () => expect(parseGlobalRequest(name, info)).to.deep.equal(expected));
  }
});

describe('proxy/pump backpressure', () => {
  it('pauses the source while the destination is full and resumes on drain', async () => {
    const src = new PassThrough({ highWaterMark: 16 });
    const written: Buffer[] = [];
    let release: (() => void) | undefined;
    const dst = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _enc, cb) { written.push(chunk); release = cb; },
    });
    let seen = 0;
    pump(src, dst, (c) => { seen += c.length; });
    src.write(Buffer.from('aaaa'));
    src.write(Buffer.from('bbbb'));
    src.write(Buffer.from('cccc'));
    await new Promise((r) => setImmediate(r));
    expect(src.isPaused()).to.equal(true);
    expect(seen).to.equal(4);
    while (release) { const r = release; release = undefined; r(); await new Promise((res) => setImmediate(res)); }
    expect(Buffer.concat(written).toString()).to.equal('aaaabbbbcccc');
    expect(src.isPaused()).to.equal(false);
  });

  it('flushed() resolves after queued writes', async () => {
    const order: string[] = [];
    const dst = new Writable({ write(chunk: Buffer, _e, cb) { order.push(chunk.toString() || '<empty>'); setTimeout(cb, 5); } });
    dst.write('a');
    dst.write('b');
    await flushed(dst);
    expect(order).to.deep.equal(['a', 'b', '<empty>']);
  });
});

describe('proxy/IdleTimer', () => {
  it('fires once after the timeout without activity', async () => {
    let fired = 0;
    const t = new IdleTimer(30, Date.now, () => { fired++; });
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).to.equal(1);
    t.stop();
  });

  it('is pushed back by activity and can be stopped', async () => {
    let fired = 0;
    const t = new IdleTimer(60, Date.now, () => { fired++; });
    for (let i = 0; i < 4; i++) { await new Promise((r) => setTimeout(r, 25)); t.touch(); }
    expect(fired).to.equal(0);
    t.stop();
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).to.equal(0);
  });
});

describe('proxy/session-open x11Cookie', () => {
  const cases: Array<[string, unknown, string | undefined]> = [
    ['hex string stays as is', 'a1b2', 'a1b2'],
    ['Buffer of hex text becomes that text (not re-encoded)', Buffer.from('a1b2'), 'a1b2'],
    ['anything else → undefined (ssh2 then makes a random cookie)', 42, undefined],
  ];
  for (const [name, input, expected] of cases) it(name, () => expect(x11Cookie(input)).to.equal(expected));
});

describe('proxy/crypto-check', () => {
  it('reports the native ssh2 crypto binding (built on this machine)', () => {
    expect(nativeCryptoAvailable()).to.equal(true);
  });
});
