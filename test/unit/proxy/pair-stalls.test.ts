import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import type { Channel } from 'ssh2';
import { createLogger } from '../../../lib/log.js';
import { PairStalls } from '../../../lib/proxy/pair-stalls.js';
import { StallLedger } from '../../../lib/proxy/stall-budget.js';
import type { RelayEvent } from '../../../lib/proxy/types.js';

/** A stand-in for an ssh2 channel: a duplex whose close() is counted, with a readable stderr. */
class FakeChannel extends PassThrough {
  closes = 0;
  stderr = new PassThrough();
  close(): void { this.closes++; }
}

describe('proxy/pair-stalls: a relayed pair as the stall budget sees it', () => {
  const setup = (): { ledger: StallLedger; pair: PairStalls; down: FakeChannel; up: FakeChannel; events: RelayEvent[] } => {
    const ledger = new StallLedger({ log: createLogger({ level: 'error' }), now: () => 0 });
    const account = ledger.account('user:1', () => undefined);
    const down = new FakeChannel();
    const up = new FakeChannel();
    const events: RelayEvent[] = [];
    const pair = new PairStalls({ emit: (e) => events.push(e) }, account, 'session', down as unknown as Channel, up as unknown as Channel);
    return { ledger, pair, down, up, events };
  };
  const pumpOf = { heldBytes: 1, movedBytes: 0, waiting: true };

  it('is forgotten when the client\'s channel closes, and takes no report after', () => {
    const { ledger, pair } = setup();
    pair.stalled(pumpOf);
    expect(ledger.stalledOwners).to.equal(1);
    pair.upClosed();
    expect(ledger.stalledOwners, 'the target\'s side alone').to.equal(1);
    pair.downClosed();
    expect(ledger.stalledOwners, 'the client\'s side closed').to.equal(0);
    pair.stalled(pumpOf);
    expect(ledger.stalledOwners, 'a report after the close').to.equal(0);
    ledger.close();
  });

  it('once cut, stays watched until both channels closed', () => {
    const { ledger, pair } = setup();
    pair.stalled(pumpOf);
    pair.cut(1, 10_000, false);
    pair.downClosed();
    expect(ledger.stalledOwners, 'the target\'s side still open').to.equal(1);
    pair.upClosed();
    expect(ledger.stalledOwners, 'both closed').to.equal(0);
    ledger.close();
  });

  it('a cut closes both channels, lets their read-ahead drain away, and reports it when audited', () => {
    const { ledger, pair, down, up, events } = setup();
    down.write('unread');
    up.stderr.write('unread');
    pair.cut(6, 10_000, true);
    expect([down.closes, up.closes]).to.deep.equal([1, 1]);
    expect([down.readableFlowing, up.readableFlowing, up.stderr.readableFlowing], 'flowing into nothing').to.deep.equal([true, true, true]);
    expect(events).to.deep.equal([{ type: 'channel-cut', channel: 'session', heldBytes: 6, stalledMs: 10_000 }]);
    pair.cut(6, 10_000, false);
    expect(events.length, 'past the audit cap: no event').to.equal(1);
    ledger.close();
  });
});
