import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Event } from '../../../lib/db/entities/index.js';
import { MAX_ARG_CHARS } from '../../../lib/db/events.js';
import { connectAttacker } from '../../support/attack-client.js';
import { drivers, startPortal, startWebTarget, type Portal } from '../../support/portal.js';
import { requireSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';

/**
 * The attack: an event's args hold client-chosen strings (a forward's
 * destination), and JSON escapes control characters six-fold. On MySQL a
 * `-L` to 20,000 control characters wrote `Data too long for column 'args'`
 * and no event: refused forwards left no audit trail.
 */
for (const driver of drivers) {
  describe(`security on ${driver}: events with client-chosen text are written, cut to their columns`, function () {
    let portal: Portal;
    let target: SshdTarget;
    before(async function () {
      requireSshd(this);
      portal = await startPortal(this, { driver });
      target = await startWebTarget(portal);
    });
    after(async () => {
      await portal?.close();
      await target?.stop();
    });

    it('a refused forward to a 20,000-character destination of control characters is audited', async () => {
      const a = await connectAttacker(portal.port, 'web01', readFileSync(portal.adminKey, 'utf8'));
      try {
        const dest = '\x01'.repeat(20_000);
        const err = await new Promise<Error | undefined>((resolve) => a.client.forwardOut('127.0.0.1', 1, dest, 1, (e) => resolve(e)));
        expect(err).to.be.instanceOf(Error);
        let refused: Event | null = null;
        await waitFor(async () => {
          refused = await portal.app.db.manager.findOneBy(Event, { domain: 'session', action: 'forward-refused' });
          return refused !== null;
        }, 5_000, 'the forward-refused event');
        const args = JSON.parse((refused as Event | null)?.args ?? '{}') as { to?: string; truncated?: boolean };
        expect(args.truncated).to.equal(true);
        expect(args.to).to.have.length(MAX_ARG_CHARS);
        expect(portal.logs.some((l) => l.includes('cannot write event'))).to.equal(false);
      } finally {
        a.sock.destroy();
      }
    });
  });
}
