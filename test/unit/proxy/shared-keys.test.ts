import { expect } from 'chai';
import ssh2 from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { sharedPrivateKey } from '../../../lib/proxy/shared-keys.js';

describe('lib/proxy/shared-keys: one parsed client key per distinct key text', () => {
  const text = generateKeyPair('ed25519', 256).privateKey;

  it('hands every connection the same parsed key while it is in use', () => {
    const a = sharedPrivateKey(text);
    expect(sharedPrivateKey(text)).to.equal(a);
    expect(a.isPrivateKey()).to.equal(true);
  });

  it('parses another key (or the same with another passphrase) separately', () => {
    const other = generateKeyPair('ed25519', 256).privateKey;
    expect(sharedPrivateKey(other)).to.not.equal(sharedPrivateKey(text));
  });

  it('refuses what is not a private key, with the message ssh2 gave', () => {
    expect(() => sharedPrivateKey('not a key')).to.throw(/^Cannot parse privateKey: /);
    const pub = ssh2.utils.generateKeyPairSync('ed25519').public;
    expect(() => sharedPrivateKey(pub)).to.throw(/does not contain a \(valid\) private key/);
  });
});
