import { expect } from 'chai';
import { defaultMaxUserConnections, PrincipalConnections } from '../../../lib/server/principal-limit.js';

describe('server/principal-limit: connections per user or key', () => {
  const defaults: [number, number][] = [[16, 8], [64, 8], [320, 40], [6645, 830], [10_000, 1250]];
  for (const [max, want] of defaults) {
    it(`--max-connections ${max} → ${want} per user by default`, () => expect(defaultMaxUserConnections(max)).to.equal(want));
  }

  it('caps each principal on its own; a release (once) frees one slot', () => {
    const p = new PrincipalConnections(2);
    const a1 = p.take('user:1');
    const a2 = p.take('user:1');
    expect([a1 !== null, a2 !== null, p.take('user:1')]).to.deep.equal([true, true, null]);
    expect(p.take('key:SHA256:x')).to.not.equal(null);
    a1?.();
    a1?.();
    expect(p.take('user:1')).to.not.equal(null);
    expect(p.take('user:1')).to.equal(null);
  });

  it('forgets a principal with no connection left', () => {
    const p = new PrincipalConnections(1);
    p.take('user:7')?.();
    expect(p.size).to.equal(0);
  });
});
