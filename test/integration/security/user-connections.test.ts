import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { connectAttacker, type AttackClient } from '../../support/attack-client.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { waitFor } from '../../support/wait.js';

const maxConnections = 24;
const perUser = 4;

/** Connects as `login`; resolves with the client, or null when the portal hung up right after authentication. */
async function hold(portal: Portal, login: string, key: string): Promise<AttackClient | null> {
  const a = await connectAttacker(portal.port, login, key);
  const dropped = await Promise.race([a.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 500))]);
  return dropped ? null : a;
}

/**
 * The attack: authenticated connections leave the pre-auth limits and count
 * in --max-connections until they close, and idle ones were never closed (no
 * idle timeout by default): one enrolled key opening idle connections filled
 * the portal, and every other user was refused.
 */
describe('security: one user cannot fill --max-connections', function () {
  let portal: Portal;
  let malloryKey: string;
  const held: AttackClient[] = [];
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3', flags: { maxConnections: String(maxConnections), maxUserConnections: String(perUser) } });
    const invite = await portal.ssh(['user', 'invite', 'mallory@example.org']);
    const token = /invite:(\w+)/.exec(invite.stdout)?.[1] ?? '';
    const mallory = portal.newKey('mallory');
    expect((await portal.ssh([], { login: `invite:${token}`, key: mallory })).code).to.equal(0);
    malloryKey = readFileSync(mallory, 'utf8');
  });
  after(async () => {
    for (const a of held) a.sock.destroy();
    await portal?.close();
  });

  it(`a user holds at most ${perUser} connections (host or shell logins alike); others still get in; a closed one frees its slot`, async () => {
    const results: (AttackClient | null)[] = [];
    for (let i = 0; i < maxConnections; i++) {
      const a = await hold(portal, i % 2 === 0 ? 'some-host' : 'mallory', malloryKey);
      results.push(a);
      if (a) held.push(a);
    }
    expect(results.filter((a) => a !== null)).to.have.length(perUser);
    expect(portal.logs.filter((l) => l.includes('connection refused: --max-user-connections reached'))).to.have.length.at.least(1);
    const t = Date.now();
    const r = await portal.ssh(['version'], { timeoutMs: 20_000 });
    expect([r.code, r.stdout]).to.deep.equal([0, 'test\n']);
    expect(Date.now() - t).to.be.below(2_000);
    held.shift()?.sock.destroy();
    await waitFor(async () => {
      const again = await hold(portal, 'some-host', malloryKey);
      if (again) held.push(again);
      return again !== null;
    }, 5_000, 'a freed slot');
  });
});
