import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type ssh2 from 'ssh2';
import { connectAttacker, peakRssGrowthMiB } from '../../support/attack-client.js';
import { adminInfoMs, startPortal, startWebTarget, type Portal } from '../../support/portal.js';
import { requireSshd, type SshdTarget } from '../../support/sshd.js';

/** ssh2 internals the hostile client drives directly. */
interface RawClientSide {
  _protocol: { channelWindowAdjust(id: number, amount: number): void };
}

/**
 * A hostile user: it grants the portal a 4 GiB window on a session whose
 * command floods stderr, then stops reading its socket. ssh2 only waits for
 * windows; the portal's stdout is held at the user's unsent transport bytes
 * (transport-backpressure.ts), and stderr must be held the same way (before:
 * +2.3 GB in 10 s).
 */
describe('security: a client that grants a huge window and stops reading cannot grow the portal through stderr', function () {
  let portal: Portal;
  let target: SshdTarget;
  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3', logLevel: 'info' });
    target = await startWebTarget(portal);
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
  });

  for (const stream of ['stderr', 'stdout'] as const) {
    it(`${stream} flood into it: portal RSS within +100 MB over 10 s; admin answered within 2 s`, async () => {
      const a = await connectAttacker(portal.port, 'web01', readFileSync(portal.adminKey, 'utf8'));
      try {
        let adminMs = Infinity;
        const growth = await peakRssGrowthMiB(async () => {
          const redirect = stream === 'stderr' ? '1>&2' : '';
          const ch = await new Promise<ssh2.ClientChannel>((resolve, reject) => a.client.exec(`head -c 3000000000 /dev/zero ${redirect}`, (e, c) => (e ? reject(e) : resolve(c))));
          (a.client as unknown as RawClientSide)._protocol.channelWindowAdjust((ch as unknown as { outgoing: { id: number } }).outgoing.id, 2 ** 32 - 1 - 2 * 1024 * 1024);
          a.sock.pause();
          await new Promise((r) => setTimeout(r, 10_000));
          adminMs = await adminInfoMs(portal);
        });
        expect(adminMs).to.be.below(2_000);
        expect(growth).to.be.below(100);
      } finally {
        a.sock.destroy();
      }
    });
  }
});
