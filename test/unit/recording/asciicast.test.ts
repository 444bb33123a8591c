import { expect } from 'chai';
import { elapsedSeconds, encodeCastEvent, encodeCastHeader, resizeData } from '../../../lib/recording/asciicast.js';
import { formatTunnelRecord } from '../../../lib/recording/tunnel-log.js';

describe('recording/asciicast encoders', () => {
  const headers: Array<{ name: string; input: Parameters<typeof encodeCastHeader>[0]; expected: string }> = [
    { name: 'minimal', input: { width: 80, height: 24, timestamp: 1700000000.9 }, expected: '{"version":2,"width":80,"height":24,"timestamp":1700000000}\n' },
    { name: 'with env and title', input: { width: 120, height: 40, timestamp: 1, env: { TERM: 'xterm-256color' }, title: 'bob@web: shell' }, expected: '{"version":2,"width":120,"height":40,"timestamp":1,"env":{"TERM":"xterm-256color"},"title":"bob@web: shell"}\n' },
    { name: 'zero size falls back to 80x24', input: { width: 0, height: 0, timestamp: 5 }, expected: '{"version":2,"width":80,"height":24,"timestamp":5}\n' },
    { name: 'empty env omitted', input: { width: 10, height: 5, timestamp: 5, env: {} }, expected: '{"version":2,"width":10,"height":5,"timestamp":5}\n' },
  ];
  for (const c of headers) it(`header: ${c.name}`, () => expect(encodeCastHeader(c.input)).to.equal(c.expected));

  const events: Array<[number, 'o' | 'i' | 'r' | 'm', string, string]> = [
    [0, 'o', 'hello\r\n', '[0,"o","hello\\r\\n"]\n'],
    [1.5, 'i', 'ls\r', '[1.5,"i","ls\\r"]\n'],
    [2.000001, 'r', '100x30', '[2.000001,"r","100x30"]\n'],
    [3, 'o', '\u001b[1mbold\u001b[0m "q"', '[3,"o","\\u001b[1mbold\\u001b[0m \\"q\\""]\n'],
    [4, 'm', 'recording dropped 10 bytes', '[4,"m","recording dropped 10 bytes"]\n'],
    [5, 'o', 'héllo ✓', '[5,"o","héllo ✓"]\n'],
  ];
  for (const [t, code, data, expected] of events) {
    it(`event ${code} ${JSON.stringify(data)}`, () => expect(encodeCastEvent(t, code, data)).to.equal(expected));
  }

  const times: Array<[number, number, number]> = [[1000, 1000, 0], [1000, 2500, 1.5], [1000, 1000.0004, 0], [1000, 1000.0016, 0.000002], [2000, 1000, 0]];
  for (const [start, now, expected] of times) it(`elapsed ${start}→${now} = ${expected}s`, () => expect(elapsedSeconds(start, now)).to.equal(expected));

  const sizes: Array<[number, number, string]> = [[80, 24, '80x24'], [132, 50, '132x50'], [0, 0, '80x24']];
  for (const [cols, rows, expected] of sizes) it(`resize ${cols}x${rows}`, () => expect(resizeData(cols, rows)).to.equal(expected));

  it('formats a tunnel record as one JSON line', () => {
    const line = formatTunnelRecord({ kind: 'direct-tcpip', user: 'bob', host: 'web', from: '127.0.0.1:5000', to: 'db:5432', bytesUp: 10, bytesDown: 20, startedAt: new Date('2025-01-01T00:00:00Z'), durationMs: 1234.4 });
    expect(line).to.equal('{"time":"2025-01-01T00:00:00.000Z","kind":"direct-tcpip","user":"bob","host":"web","from":"127.0.0.1:5000","to":"db:5432","bytes_up":10,"bytes_down":20,"duration_ms":1234}\n');
  });
});
