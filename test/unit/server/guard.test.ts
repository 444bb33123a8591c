import { expect } from 'chai';
import { AuthThrottle, PendingConnections, type AddressVerdict } from '../../../lib/server/guard.js';

const limits = { throttleAfter: 2, banAfter: 4, windowMs: 1000, cooldownMs: 5000, delayStepMs: 100, maxDelayMs: 250 };

describe('server: AuthThrottle', () => {
  const cases: { name: string; failures: [string, number][]; ask: [string, number]; want: AddressVerdict }[] = [
    { name: 'unknown address is ok', failures: [], ask: ['a', 0], want: { kind: 'ok' } },
    { name: 'below the throttle threshold', failures: [['a', 0]], ask: ['a', 10], want: { kind: 'ok' } },
    { name: 'throttled at the threshold', failures: [['a', 0], ['a', 1]], ask: ['a', 2], want: { kind: 'throttle', delayMs: 100 } },
    { name: 'delay grows per failure', failures: [['a', 0], ['a', 1], ['a', 2]], ask: ['a', 3], want: { kind: 'throttle', delayMs: 200 } },
    { name: 'refused at the ban threshold', failures: [['a', 0], ['a', 1], ['a', 2], ['a', 3]], ask: ['a', 4], want: { kind: 'refuse', untilMs: 5003 } },
    { name: 'still refused during the cool-down', failures: [['a', 0], ['a', 1], ['a', 2], ['a', 3]], ask: ['a', 5002], want: { kind: 'refuse', untilMs: 5003 } },
    { name: 'ok after the cool-down', failures: [['a', 0], ['a', 1], ['a', 2], ['a', 3]], ask: ['a', 5003], want: { kind: 'ok' } },
    { name: 'failures outside the window are forgotten', failures: [['a', 0], ['a', 1], ['a', 2]], ask: ['a', 1500], want: { kind: 'ok' } },
    { name: 'one address cannot lock out another', failures: [['a', 0], ['a', 1], ['a', 2], ['a', 3]], ask: ['b', 4], want: { kind: 'ok' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const t = new AuthThrottle(limits);
      for (const [a, at] of c.failures) t.fail(a, at);
      expect(t.verdict(c.ask[0], c.ask[1])).to.deep.equal(c.want);
    });
  }
  it('reports the failure that starts a cool-down, once', () => {
    const t = new AuthThrottle(limits);
    expect([0, 1, 2, 3, 4].map((i) => t.fail('a', i))).to.deep.equal([false, false, false, true, false]);
  });
  it('sweep forgets quiet addresses', () => {
    const t = new AuthThrottle(limits);
    t.fail('a', 0);
    t.fail('b', 900);
    t.sweep(1200);
    expect(t.size).to.equal(1);
  });
});

describe('server: PendingConnections', () => {
  it('drops the oldest past the cap, never the newcomer', () => {
    const p = new PendingConnections<string>(2);
    expect(p.add('a')).to.deep.equal([]);
    expect(p.add('b')).to.deep.equal([]);
    expect(p.add('c')).to.deep.equal(['a']);
    p.remove('b');
    expect(p.add('d')).to.deep.equal([]);
    expect(p.size).to.equal(2);
  });
});

describe('server: PendingConnections.oldest', () => {
  it('names the oldest pending connection, or nothing', () => {
    const p = new PendingConnections<string>(5);
    expect(p.oldest()).to.equal(undefined);
    p.add('a');
    p.add('b');
    expect(p.oldest()).to.equal('a');
    p.remove('a');
    expect(p.oldest()).to.equal('b');
  });
});
