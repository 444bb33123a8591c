import { expect } from 'chai';
import { createLogger } from '../../../lib/log.js';
import {
  ConnectionBudget, channelRefusal, defaultLimits, envFits, limitsFrom, type ChannelCounts, type ChannelKind, type LimitName,
} from '../../../lib/proxy/limits.js';

const limits = { ...defaultLimits, maxChannels: 4, maxSessions: 2, maxEnvPerChannel: 3, maxEnvBytesPerChannel: 10, maxPendingRequests: 2 };

describe('proxy limits (pure decisions)', () => {
  const channelCases: { held: ChannelCounts; kind: ChannelKind; out: LimitName | null }[] = [
    { held: { channels: 0, sessions: 0 }, kind: 'session', out: null },
    { held: { channels: 1, sessions: 1 }, kind: 'session', out: null },
    { held: { channels: 2, sessions: 2 }, kind: 'session', out: 'sessions' },
    { held: { channels: 2, sessions: 2 }, kind: 'forward', out: null },
    { held: { channels: 4, sessions: 0 }, kind: 'forward', out: 'channels' },
    { held: { channels: 4, sessions: 2 }, kind: 'session', out: 'channels' },
  ];
  for (const c of channelCases) {
    it(`a ${c.kind} with ${JSON.stringify(c.held)} held: ${c.out ?? 'fits'}`, () => expect(channelRefusal(c.held, c.kind, limits)).to.equal(c.out));
  }

  const envCases: { used: { count: number; bytes: number }; key: string; value: string; fits: boolean }[] = [
    { used: { count: 0, bytes: 0 }, key: 'A', value: 'b', fits: true },
    { used: { count: 0, bytes: 0 }, key: 'LANG', value: 'C.UTF-8', fits: false },
    { used: { count: 0, bytes: 0 }, key: 'K', value: 'é'.repeat(4), fits: true },
    { used: { count: 0, bytes: 0 }, key: 'K', value: 'é'.repeat(5), fits: false },
    { used: { count: 2, bytes: 8 }, key: 'A', value: 'b', fits: true },
    { used: { count: 2, bytes: 9 }, key: 'A', value: 'b', fits: false },
    { used: { count: 3, bytes: 0 }, key: '', value: '', fits: false },
  ];
  for (const c of envCases) {
    it(`env ${c.key}=${c.value} after ${JSON.stringify(c.used)}: ${c.fits ? 'kept' : 'refused'}`, () =>
      expect(envFits(c.used, c.key, c.value, limits)).to.equal(c.fits));
  }

  it('takes --max-channels and --max-sessions from the config, the rest from the defaults', () => {
    expect(limitsFrom({ maxChannels: 7, maxSessions: 3 })).to.deep.equal({ ...defaultLimits, maxChannels: 7, maxSessions: 3 });
  });
});

describe('proxy limits: ConnectionBudget', () => {
  const budget = (): { b: ConnectionBudget; lines: string[] } => {
    const lines: string[] = [];
    return { b: new ConnectionBudget(limits, createLogger({ level: 'debug', sink: (l) => lines.push(l) })), lines };
  };

  it('holds sessions and channels until released; a slot releases once', () => {
    const { b } = budget();
    const s1 = b.openChannel('session');
    const s2 = b.openChannel('session');
    expect(b.openChannel('session')).to.equal(null);
    const f1 = b.openChannel('forward');
    const f2 = b.openChannel('forward');
    expect(b.openChannel('forward')).to.equal(null);
    s1?.release();
    s1?.release();
    expect(b.held).to.deep.equal({ channels: 3, sessions: 1 });
    const s3 = b.openChannel('session');
    expect(s3).to.not.equal(null);
    expect(b.openChannel('forward')).to.equal(null);
    for (const s of [s2, s3, f1, f2]) s?.release();
    expect(b.held).to.deep.equal({ channels: 0, sessions: 0 });
  });

  it('logs each limit once per connection, however often it refuses', () => {
    const { b, lines } = budget();
    const held = [b.openChannel('session'), b.openChannel('session')];
    for (let i = 0; i < 100; i++) expect(b.openChannel('session')).to.equal(null);
    const env = b.envBudget();
    for (let i = 0; i < 100; i++) env.take(`K${i}`, '');
    const pending = [b.beginRequest(), b.beginRequest()];
    for (let i = 0; i < 100; i++) expect(b.beginRequest()).to.equal(null);
    expect(lines.filter((l) => l.includes('connection limit reached'))).to.have.length(3);
    expect(lines.join('\n')).to.match(/limit=sessions max=2/).and.match(/limit=env max=3/).and.match(/limit="pending requests" max=2/);
    for (const s of [...held, ...pending]) s?.release();
  });

  it('gives each channel its own env budget', () => {
    const { b } = budget();
    const one = b.envBudget();
    const two = b.envBudget();
    expect([one.take('A', '1'), one.take('B', '2'), one.take('C', '3'), one.take('D', '4')]).to.deep.equal([true, true, true, false]);
    expect(two.take('A', '123456789')).to.equal(true);
    expect(two.take('B', '')).to.equal(false);
  });
});
