import { expect } from 'chai';
import { ConnectorConnections, revokes, type ConnectorConnection } from '../../../lib/tunnel/connections.js';

describe('tunnel: revokes (which connections a revocation ends)', () => {
  // Logged in for host 1, forwarding host 2.
  const c = { fingerprint: 'SHA256:a', loginHostId: 1, forwarding: new Set([2]) };
  const cases: { name: string; hostId: number; fingerprints: string[]; want: boolean }[] = [
    { name: 'its login host, every key', hostId: 1, fingerprints: [], want: true },
    { name: 'its login host, its key', hostId: 1, fingerprints: ['SHA256:b', 'SHA256:a'], want: true },
    { name: 'its login host, other keys', hostId: 1, fingerprints: ['SHA256:b'], want: false },
    { name: 'a host it forwards, every key', hostId: 2, fingerprints: [], want: true },
    { name: 'a host it forwards, other keys', hostId: 2, fingerprints: ['SHA256:b'], want: false },
    { name: 'a host it neither logged in for nor forwards', hostId: 3, fingerprints: [], want: false },
  ];
  for (const t of cases) it(t.name, () => expect(revokes(c, t.hostId, t.fingerprints)).to.equal(t.want));
});

describe('tunnel: ConnectorConnections', () => {
  const conn = (fingerprint: string, loginHostId: number, dropped: string[]): ConnectorConnection =>
    ({ fingerprint, loginHostId, forwarding: new Set<number>(), drop: (reason) => { dropped.push(`${fingerprint}:${reason}`); } });

  it('drops the connections a revocation ends, once each, and counts them', () => {
    const dropped: string[] = [];
    const all = new ConnectorConnections();
    all.add(conn('a', 1, dropped));
    all.add(conn('b', 1, dropped));
    all.add(conn('a', 2, dropped));
    expect(all.drop(1, ['a'], 'revoked')).to.equal(1);
    expect(all.drop(1, ['a'], 'revoked'), 'again').to.equal(0);
    expect(all.drop(1, [], 'revoked')).to.equal(1);
    expect(dropped).to.deep.equal(['a:revoked', 'b:revoked']);
    expect(all.size).to.equal(1);
  });

  it('a released connection (closed) is not dropped; dropAll ends the rest', () => {
    const dropped: string[] = [];
    const all = new ConnectorConnections();
    all.add(conn('a', 1, dropped)).release();
    all.add(conn('b', 2, dropped));
    expect(all.drop(1, [], 'revoked')).to.equal(0);
    expect(all.dropAll('shutdown')).to.equal(1);
    expect(dropped).to.deep.equal(['b:shutdown']);
    expect(all.size).to.equal(0);
  });
});
