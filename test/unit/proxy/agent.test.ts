import { expect } from 'chai';
import { PassThrough, type Duplex } from 'node:stream';
import type { Channel, Connection } from 'ssh2';
import { createLogger } from '../../../lib/log.js';
import { DownstreamAgent } from '../../../lib/proxy/agent.js';
import type { Slot } from '../../../lib/proxy/limits.js';

/** A stand-in for an ssh2 channel: a duplex with close() and eof(). */
class FakeChannel extends PassThrough {
  close(): void { this.destroy(); }
  eof(): void { this.end(); }
}

/** A connection whose agent channel opens succeed at once with a fake channel. */
function fakeConnection(): Connection {
  const opens: ((err: Error | undefined, ch?: Channel) => void)[] = [];
  return {
    _chanMgr: { add: (cb: (err: Error | undefined, ch?: Channel) => void) => { opens.push(cb); return opens.length; } },
    _protocol: { openssh_authAgent: (id: number) => opens[id - 1]?.(undefined, new FakeChannel() as unknown as Channel) },
  } as unknown as Connection;
}

/** What ssh2's client does with an agent stream: accept the target's channel and pipe it both ways. */
function asSsh2Does(agent: DownstreamAgent): Promise<{ err: Error | undefined; stream?: Duplex; up: FakeChannel }> {
  const up = new FakeChannel();
  return new Promise((resolve) => {
    agent.getStream((err, stream) => {
      if (!err && stream) up.pipe(stream).pipe(up);
      resolve({ err, stream, up });
    });
  });
}

describe('proxy/agent: channels the target opens to the client\'s agent', () => {
  it('take a slot each, and are relayed by the relay\'s own link instead of ssh2\'s pipes', async () => {
    const linked: { down: Channel; up: Channel }[] = [];
    let free = 2;
    let released = 0;
    const slot = (): Slot | null => (free-- > 0 ? { release: () => { released++; } } : null);
    const agent = new DownstreamAgent(fakeConnection(), createLogger({ level: 'error' }), {
      openTargetChannel: slot,
      relay: (down, up) => linked.push({ down, up }),
    });
    const first = await asSsh2Does(agent);
    expect(first.err).to.equal(undefined);
    expect(linked.length, 'relayed by the relay').to.equal(1);
    expect(linked[0]?.up, 'the target\'s channel').to.equal(first.up);
    const down = first.stream as FakeChannel;
    expect(down.listenerCount('data') + first.up.listenerCount('data'), 'ssh2\'s pipes are gone').to.equal(0);
    expect(down.readableFlowing && first.up.readableFlowing, 'both flow again once unpiped').to.equal(true);
    await asSsh2Does(agent);
    const third = await asSsh2Does(agent);
    expect(third.err?.message, 'past the channel budget').to.equal('too many channels');
    expect(linked.length).to.equal(2);
    expect(released).to.equal(0);
  });
});
