/**
 * What one relayed connection's command log writes: an event per channel
 * start, but at most MAX_REFUSAL_EVENTS for starts the session policy refused
 * (a refused start costs the client nothing and reaches no target: a loop of
 * them wrote one chained event each, without end).
 */
import { expect } from 'chai';
import { MAX_REFUSAL_EVENTS } from '../../../lib/proxy/policy-gate.js';
import { CommandLog } from '../../../lib/server/session-commands.js';

function log(): { log: CommandLog; events: Record<string, unknown>[] } {
  const events: Record<string, unknown>[] = [];
  return { events, log: new CommandLog({ saveRow: () => Promise.resolve(), event: (_action, args) => { events.push(args); }, failed: () => undefined }) };
}

describe('server/session-commands: events of channel starts', () => {
  it(`records every allowed start, and the first ${MAX_REFUSAL_EVENTS} refused ones only`, () => {
    const { log: l, events } = log();
    for (let i = 0; i < 1_000; i++) l.add({ type: 'channel-started', kind: 'exec', command: `rm -rf /${i}`, pty: false, refused: 'acl 3 forbids commands' });
    expect(events).to.have.length(MAX_REFUSAL_EVENTS);
    expect(events[0]).to.deep.include({ command: 'rm -rf /0', refused: 'acl 3 forbids commands' });
    for (let i = 0; i < 100; i++) l.add({ type: 'channel-started', kind: 'exec', command: 'true', pty: false });
    expect(events).to.have.length(MAX_REFUSAL_EVENTS + 100);
  });
});
