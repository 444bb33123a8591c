import { expect } from 'chai';
import ssh2, { type ParsedKey } from 'ssh2';
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { withKeyObjects } from '../../../lib/ssh/key-objects.js';
import { parsePublicKeyBlob, parseSigningKey, publicKeysKept } from '../../../lib/ssh/signing-keys.js';

const ed = generateKeyPair('ed25519', 256, 'a');
const other = generateKeyPair('ed25519', 256, 'b');
const ecdsa = generateKeyPair('ecdsa', 256, 'c');
const blobOf = (line: string): Buffer => Buffer.from(line.split(' ')[1] ?? '', 'base64');
const plain = (text: string | Buffer): ParsedKey => ssh2.utils.parseKey(text) as ParsedKey;
const data = Buffer.from('exchange hash');

describe('ssh: signing keys on key objects', () => {
  it('an ed25519 signature verifies with ssh2\'s own key, and ssh2\'s with ours', () => {
    const key = parseSigningKey(ed.privateKey);
    const sig = key.sign(data);
    expect(plain(blobOf(ed.publicKey)).verify(data, sig)).to.equal(true);
    expect(parsePublicKeyBlob(blobOf(ed.publicKey))?.verify(data, plain(ed.privateKey).sign(data))).to.equal(true);
    expect(sig.equals(plain(ed.privateKey).sign(data))).to.equal(true);
  });

  const refusals: [string, () => unknown][] = [
    ['other data', () => parsePublicKeyBlob(blobOf(ed.publicKey))?.verify(Buffer.from('x'), parseSigningKey(ed.privateKey).sign(data))],
    ['another key', () => parsePublicKeyBlob(blobOf(other.publicKey))?.verify(data, parseSigningKey(ed.privateKey).sign(data))],
    ['a truncated signature', () => parsePublicKeyBlob(blobOf(ed.publicKey))?.verify(data, parseSigningKey(ed.privateKey).sign(data).subarray(1))],
  ];
  for (const [name, run] of refusals) it(`verification fails for ${name} (never true)`, () => expect(run()).to.not.equal(true));

  it('a public key cannot sign: an Error comes back, as from ssh2', () => {
    expect(parsePublicKeyBlob(blobOf(ed.publicKey))?.sign(data)).to.be.instanceOf(Error);
  });

  it('an ed25519 key node:crypto refuses keeps ssh2\'s methods (no throw)', () => {
    const odd = { type: 'ssh-ed25519', getPublicSSH: () => Buffer.alloc(5), isPrivateKey: () => false } as unknown as ParsedKey;
    expect(withKeyObjects(odd)).to.equal(odd);
    expect(Object.hasOwn(odd, 'verify')).to.equal(false);
  });

  it('other key types keep ssh2\'s methods', () => {
    // ssh2's methods live on the key's prototype; ours are the key's own.
    const own = (k: ParsedKey): boolean[] => [Object.hasOwn(k, 'sign'), Object.hasOwn(k, 'verify')];
    expect(own(withKeyObjects(plain(ecdsa.privateKey)))).to.deep.equal([false, false]);
    expect(own(withKeyObjects(plain(ed.privateKey)))).to.deep.equal([true, true]);
    expect(parseSigningKey(ecdsa.privateKey).verify(data, parseSigningKey(ecdsa.privateKey).sign(data))).to.equal(true);
  });

  it('keeps parsed public keys; garbage is null', () => {
    expect(parsePublicKeyBlob(blobOf(ed.publicKey))).to.equal(parsePublicKeyBlob(blobOf(ed.publicKey)));
    expect(parsePublicKeyBlob(Buffer.from('not a key'))).to.equal(null);
  });

  it('keeps at most 256 parsed keys however many distinct keys clients offer', () => {
    for (let i = 0; i < 300; i++) expect(parsePublicKeyBlob(blobOf(generateKeyPair('ed25519', 256, `k${String(i)}`).publicKey))).to.not.equal(null);
    expect(publicKeysKept()).to.equal(256);
  });

  it('refuses a public key or garbage as a signing key', () => {
    expect(() => parseSigningKey(ed.publicKey)).to.throw();
    expect(() => parseSigningKey('nope')).to.throw();
  });

});
