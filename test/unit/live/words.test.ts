import { expect } from 'chai';
import { isInside, castPathOf } from '../../../lib/live/recordings.js';
import { parseSessionId, sizeWarning, terminationMessage, viewerNotice } from '../../../lib/live/words.js';
import { isCastHeader, parseCastEvent, parseIdleLimit, parseSpeed, pauseMs } from '../../../lib/live/playback.js';

describe('live: words', () => {
  const notices: [Parameters<typeof viewerNotice>, string][] = [
    [['bob', 'watch', 'start'], 'bob started watching this session'],
    [['bob', 'watch', 'stop'], 'bob stopped watching this session'],
    [['bob', 'join', 'start'], 'bob joined this session'],
    [['bob', 'join', 'stop'], 'bob left this session'],
  ];
  for (const [args, want] of notices) it(`notice ${args.join(' ')}`, () => expect(viewerNotice(...args)).to.equal(want));
  it('termination message, with and without a reason', () => {
    expect(terminationMessage('admin', 'disk full')).to.equal('session terminated by admin: disk full');
    expect(terminationMessage('admin', null)).to.equal('session terminated by admin');
  });
  it('size warning', () => expect(sizeWarning({ cols: 80, rows: 24 }, { cols: 120, rows: 40 })).to.match(/^warning: your terminal \(80x24\) is smaller than the session's \(120x40\)/));
  const ids: [string, number | null][] = [['1', 1], ['42', 42], ['0', null], ['01', null], ['-1', null], ['1e3', null], ['', null], ['12345678901234567', null], ['9007199254740993', null]];
  for (const [text, want] of ids) it(`session id '${text}'`, () => expect(parseSessionId(text)).to.equal(want));
});

describe('live: recordings on disk', () => {
  const inside: [string, string, boolean][] = [
    ['/var/log/portal', '/var/log/portal/session-1.cast', true],
    ['/var/log/portal', '/var/log/portal/../etc/passwd', false],
    ['/var/log/portal', '/etc/passwd', false],
    ['/var/log/portal', '/var/log/portal', false],
    ['/var/log/portal', '/var/log/portalx/s.cast', false],
    ['log', 'log/session-2.cast', true],
  ];
  for (const [dir, path, want] of inside) it(`${path} inside ${dir}: ${want}`, () => expect(isInside(dir, path)).to.equal(want));
  const rows: [string | null, string | null][] = [
    [null, null], ['not json', null], ['{}', null], ['["a.tunnels.log","b.cast","c.cast"]', 'b.cast'], ['[1,"x.cast"]', 'x.cast'], ['["a.tunnels.log"]', null],
  ];
  for (const [text, want] of rows) it(`first cast of ${text}`, () => expect(castPathOf(text)).to.equal(want));
});

describe('live: playback', () => {
  const events: [string, ReturnType<typeof parseCastEvent>][] = [
    ['[1.5,"o","hi"]', { time: 1.5, code: 'o', data: 'hi' }],
    ['[0,"m","bob joined this session"]', { time: 0, code: 'm', data: 'bob joined this session' }],
    ['[-1,"o","x"]', null], ['["1","o","x"]', null], ['[1,"o"]', null], ['{"version":2}', null], ['', null], ['[1,"o",5]', null],
  ];
  for (const [line, want] of events) it(`event ${line || '(blank)'}`, () => expect(parseCastEvent(line)).to.deep.equal(want));
  it('headers', () => {
    expect(isCastHeader('{"version":2,"width":80,"height":24}')).to.equal(true);
    expect(isCastHeader('{"version":1}')).to.equal(false);
    expect(isCastHeader('junk')).to.equal(false);
  });
  const pauses: [number, number, number, number | null, number][] = [
    [0, 1, 1, null, 1000], [1, 1.5, 2, null, 250], [0, 60, 1, 2, 2000], [0, 60, 4, 2, 500], [5, 4, 1, null, 0],
  ];
  for (const [prev, next, speed, idle, want] of pauses) it(`pause ${prev}→${next} speed ${speed} idle ${idle}`, () => expect(pauseMs(prev, next, { speed, idleLimit: idle })).to.equal(want));
  const speeds: [string | undefined, number | null][] = [[undefined, 1], ['2', 2], ['0.5', 0.5], ['0', null], ['-1', null], ['fast', null], ['1001', null], ['1e2', null]];
  for (const [text, want] of speeds) it(`--speed ${text}`, () => expect(parseSpeed(text)).to.equal(want));
  const idles: [string | undefined, number | null | 'bad'][] = [[undefined, null], ['2', 2], ['0.5', 0.5], ['0', 'bad'], ['x', 'bad'], ['86401', 'bad']];
  for (const [text, want] of idles) it(`--idle-limit ${text}`, () => expect(parseIdleLimit(text)).to.equal(want));
});
