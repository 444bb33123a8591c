import { expect } from 'chai';
import { hashToken, isTokenHash, randomToken } from '../../../lib/crypto/tokens.js';

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
