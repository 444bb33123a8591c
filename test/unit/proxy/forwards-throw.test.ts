/**
 * A -L/-D open while the target's socket is half gone: ssh2's forwardOut
 * throws 'Not connected' at once, before any 'close'. Thrown inside the
 * relay's un-awaited handler, it was an unhandled rejection that ended the
 * portal; the open is refused and reported instead.
 */
import { expect } from 'chai';
import type { Client, Connection } from 'ssh2';
import { relayDirectStreamLocal, relayDirectTcpip, type ForwardContext } from '../../../lib/proxy/forwards.js';
import type { RelayEvent } from '../../../lib/proxy/types.js';
import { silentLogger } from '../../../lib/log.js';

function context(events: RelayEvent[]): ForwardContext {
  const notConnected = (): never => { throw new Error('Not connected'); };
  const client = { forwardOut: notConnected, openssh_forwardOutStreamLocal: notConnected } as unknown as Client;
  return {
    log: silentLogger, conn: Object.create(null) as Connection, upstream: () => Promise.resolve(client), fatal: () => undefined, onBytes: () => undefined,
    emit: (e) => events.push(e), tunnel: () => undefined, now: () => 0, track: () => undefined, stalls: undefined, openTargetChannel: () => null,
  };
}

describe('proxy/forwards: an open the target can no longer take', () => {
  it('refuses -L/-D (direct-tcpip) and reports it, instead of throwing', async () => {
    const events: RelayEvent[] = [];
    let rejected = 0;
    await relayDirectTcpip(context(events), () => undefined, () => { rejected++; }, { srcIP: '127.0.0.1', srcPort: 1, destIP: 'db', destPort: 5432 });
    expect(rejected).to.equal(1);
    expect(events).to.deep.include({ type: 'forward-refused', kind: 'direct-tcpip', to: 'db:5432', error: 'Not connected' });
  });

  it('refuses -L to a unix socket the same way', async () => {
    const events: RelayEvent[] = [];
    let rejected = 0;
    await relayDirectStreamLocal(context(events), () => undefined, () => { rejected++; }, '/run/x.sock');
    expect(rejected).to.equal(1);
    expect(events.map((e) => e.type)).to.deep.equal(['forward-refused']);
  });
});
