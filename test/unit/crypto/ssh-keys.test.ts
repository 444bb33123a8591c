import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorizedKeyOf, checkKeySpec, fingerprintOf, generateKeyPair, generateKeyPairAsync, keyTypeOfBlob, parsePrivateKey, parsePublicKey } from '../../../lib/crypto/ssh-keys.js';
import { generateKey, tempDir, type TempDir } from '../../support/keys.js';

describe('crypto: ssh keys', () => {
  const specs: [string, number | undefined, number][] = [['ed25519', undefined, 256], ['rsa', undefined, 2048], ['ecdsa', 384, 384]];
  for (const [type, length, want] of specs) for (const how of ['sync', 'async'] as const) {
    it(`generates ${type} keys that parse back (${how})`, async () => {
      const spec = checkKeySpec(type, length);
      expect(spec.length).to.equal(want);
      const pair = how === 'sync' ? generateKeyPair(spec.type, spec.length, 'c') : await generateKeyPairAsync(spec.type, spec.length, 'c');
      const pub = parsePublicKey(pair.publicKey);
      expect(pub.fingerprint).to.equal(pair.fingerprint).and.match(/^SHA256:[A-Za-z0-9+/]{43}$/);
      const back = parsePrivateKey(pair.privateKey);
      expect(back.fingerprint).to.equal(pair.fingerprint);
      expect(back.length).to.equal(want);
      expect(authorizedKeyOf(pub.blob)).to.equal(pair.publicKey.split(' ').slice(0, 2).join(' '));
    });
  }
  it('generates off the event loop: `key create --type rsa --length 8192` held the whole portal for 6-16 s', async () => {
    let turned = false;
    setImmediate(() => { turned = true; });
    const pair = await generateKeyPairAsync('rsa', 3072, 'c');
    expect(turned, 'the event loop turned while the key was generated').to.equal(true);
    expect(parsePrivateKey(pair.privateKey).length).to.equal(3072);
  });
  const bad: [string, number | undefined, RegExp][] = [['dsa', undefined, /invalid key type/], ['rsa', 1024, /invalid key length/], ['ecdsa', 512, /invalid key length/]];
  for (const [type, length, msg] of bad) it(`rejects ${type}/${length}`, () => expect(() => checkKeySpec(type, length)).to.throw(msg));
  it('rejects garbage and private keys where a public key is expected', () => {
    expect(() => parsePublicKey('ssh-ed25519 nope')).to.throw(/invalid public key/);
    expect(() => parsePublicKey(generateKeyPair('ed25519', 256).privateKey)).to.throw(/private key/);
    expect(() => parsePrivateKey('nope')).to.throw(/invalid private key/);
  });
});

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
