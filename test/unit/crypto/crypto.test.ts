import { expect } from 'chai';
import { createFieldCipher, isEncrypted } from '../../../lib/crypto/field-cipher.js';
import { checkKeySpec, generateKeyPair, parsePrivateKey, parsePublicKey, authorizedKeyOf } from '../../../lib/crypto/ssh-keys.js';
import { hashToken, isTokenHash, randomToken } from '../../../lib/crypto/tokens.js';
import { formatLine, Secret } from '../../../lib/log.js';

describe('crypto: tokens', () => {
  it('random tokens are long, alphanumeric and distinct', () => {
    const a = randomToken();
    expect(a).to.match(/^[A-Za-z0-9]{32}$/);
    expect(randomToken()).to.not.equal(a);
  });
  it('hashes are sha256-prefixed and match only their token', () => {
    const h = hashToken('tok');
    expect(isTokenHash(h)).to.equal(true);
    expect(isTokenHash('tok')).to.equal(false);
    expect(hashToken('tok')).to.equal(h);
    expect(hashToken('tok2')).to.not.equal(h);
  });
});

describe('crypto: field cipher', () => {
  for (const len of [16, 24, 32]) {
    it(`AES-${len * 8}-GCM round-trips and never stores clear text`, () => {
      const c = createFieldCipher('k'.repeat(len));
      const enc = c.encrypt('secret value');
      expect(isEncrypted(enc)).to.equal(true);
      expect(enc).to.not.include('secret');
      expect(c.encrypt('secret value')).to.not.equal(enc);
      expect(c.decrypt(enc)).to.equal('secret value');
    });
  }
  it('a wrong key or tampering is an error, never ciphertext shown as data', () => {
    const enc = createFieldCipher('a'.repeat(16)).encrypt('x');
    expect(() => createFieldCipher('b'.repeat(16)).decrypt(enc)).to.throw(/cannot decrypt/);
    expect(() => createFieldCipher(null).decrypt(enc)).to.throw(/cannot decrypt/);
    const tampered = enc.slice(0, -4) + (enc.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(() => createFieldCipher('a'.repeat(16)).decrypt(tampered)).to.throw(/cannot decrypt/);
  });
  it('without a key, clear values pass through', () => {
    expect(createFieldCipher(null).encrypt('x')).to.equal('x');
  });
});

describe('crypto: ssh keys', () => {
  const specs: [string, number | undefined, number][] = [['ed25519', undefined, 256], ['rsa', undefined, 2048], ['ecdsa', 384, 384]];
  for (const [type, length, want] of specs) {
    it(`generates ${type} keys that parse back`, () => {
      const spec = checkKeySpec(type, length);
      expect(spec.length).to.equal(want);
      const pair = generateKeyPair(spec.type, spec.length, 'c');
      const pub = parsePublicKey(pair.publicKey);
      expect(pub.fingerprint).to.equal(pair.fingerprint).and.match(/^SHA256:[A-Za-z0-9+/]{43}$/);
      const back = parsePrivateKey(pair.privateKey);
      expect(back.fingerprint).to.equal(pair.fingerprint);
      expect(back.length).to.equal(want);
      expect(authorizedKeyOf(pub.blob)).to.equal(pair.publicKey.split(' ').slice(0, 2).join(' '));
    });
  }
  const bad: [string, number | undefined, RegExp][] = [['dsa', undefined, /invalid key type/], ['rsa', 1024, /invalid key length/], ['ecdsa', 512, /invalid key length/]];
  for (const [type, length, msg] of bad) it(`rejects ${type}/${length}`, () => expect(() => checkKeySpec(type, length)).to.throw(msg));
  it('rejects garbage and private keys where a public key is expected', () => {
    expect(() => parsePublicKey('ssh-ed25519 nope')).to.throw(/invalid public key/);
    expect(() => parsePublicKey(generateKeyPair('ed25519', 256).privateKey)).to.throw(/private key/);
    expect(() => parsePrivateKey('nope')).to.throw(/invalid private key/);
  });
});

describe('log: formatLine', () => {
  const t = new Date('2026-01-02T03:04:05.000Z');
  it('text', () => expect(formatLine('text', t, 'info', 'hello', { conn: 'ab', n: 2, s: 'a b' })).to.equal('2026-01-02T03:04:05.000Z info hello conn=ab n=2 s="a b"'));
  it('json', () => expect(JSON.parse(formatLine('json', t, 'warn', 'x', { conn: 'ab' }))).to.deep.equal({ time: t.toISOString(), level: 'warn', msg: 'x', conn: 'ab' }));
  it('redacts secrets in both formats', () => {
    expect(formatLine('text', t, 'info', 'x', { k: new Secret('pw') })).to.not.include('pw');
    expect(formatLine('json', t, 'info', 'x', { k: new Secret('pw') })).to.not.include('pw');
  });
});
