import { expect } from 'chai';
import { createFieldCipher, isEncrypted } from '../../../lib/crypto/field-cipher.js';

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
