import { expect } from 'chai';
import { nativeCryptoAvailable } from '../../../lib/proxy/crypto-check.js';

describe('proxy/crypto-check', () => {
  it('reports the native ssh2 crypto binding (built on this machine)', () => {
    expect(nativeCryptoAvailable()).to.equal(true);
  });
});
