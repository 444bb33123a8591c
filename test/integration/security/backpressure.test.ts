import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { connectAttacker, floodKeepalives, rssMiB } from '../../support/attack-client.js';
import { startPortal, type Portal } from '../../support/portal.js';

/** `ssh admin@portal version` through real OpenSSH; resolves with how long it took. */
async function timedAdmin(portal: Portal): Promise<number> {
  const t = Date.now();
  const r = await portal.ssh(['version'], { timeoutMs: 20_000 });
  expect([r.code, r.stdout]).to.deep.equal([0, 'test\n']);
  return Date.now() - t;
}

/**
 * The attack: a client that stops reading and keeps sending
 * `keepalive@openssh.com` with want-reply. Every request gets a reply the
 * client never reads; without backpressure the portal buffers them all.
 */
describe('security: a client that never reads cannot grow the portal', function () {
  let portal: Portal;
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3' });
  });
  after(async () => { await portal?.close(); });

  const kinds: { name: string; login: string; key: boolean }[] = [
    { name: 'admin shell login', login: 'admin', key: true },
    { name: 'host (bastion) login', login: 'some-host', key: true },
    { name: 'healthcheck login', login: 'healthcheck', key: false },
  ];
  for (const kind of kinds) {
    it(`${kind.name}: the portal stops reading from it; RSS bounded; admin answered within 2 s`, async () => {
      const rssBefore = rssMiB();
      const a = await connectAttacker(portal.port, kind.login, kind.key ? readFileSync(portal.adminKey, 'utf8') : undefined);
      try {
        const flood = floodKeepalives(a, 25_000);
        // Measured while the attacker pushes.
        await new Promise((r) => setTimeout(r, 1_000));
        const during = await timedAdmin(portal);
        const result = await flood;
        const after = await timedAdmin(portal);
        // The attacker was stopped (or, for a healthcheck, disconnected) long before its budget ran out.
        expect(result.stalled || result.closed, JSON.stringify(result)).to.equal(true);
        expect(result.sent).to.be.below(200 * 1024 * 1024);
        if (kind.login !== 'healthcheck') {
          expect(portal.logs.some((l) => l.includes('client is not reading: input paused'))).to.equal(true);
        }
        expect(rssMiB() - rssBefore).to.be.below(200);
        expect(Math.max(during, after)).to.be.below(2_000);
      } finally {
        a.sock.destroy();
      }
    });
  }
});
