import { expect } from 'chai';
import { parseIp } from '../../../lib/config/cidr.js';
import {
  parseProxyHeader, proxyV1MaxBytes, proxyV2MaxBytes, proxyV2Signature, startsWithProxyHeader, type ProxyHeader,
} from '../../../lib/server/proxy-protocol.js';

const ip = (text: string): Buffer => parseIp(text) ?? Buffer.alloc(0);
const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);

/** A v2 header: version/command byte, family byte, then the body (its length is computed). */
function v2(verCmd: number, fam: number, body: Buffer, declared = body.length): Buffer {
  return Buffer.concat([proxyV2Signature, Buffer.from([verCmd, fam]), u16(declared), body]);
}
const tcp4 = (src: string, dst: string, sport: number, dport: number): Buffer => Buffer.concat([ip(src), ip(dst), u16(sport), u16(dport)]);
const tcp6 = tcp4;
const tlv = (type: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([type]), u16(value.length), value]);
const ssh = Buffer.from('SSH-2.0-OpenSSH_9.2\r\n');

const proxied = (version: 1 | 2, length: number, src: [string, number], dst: [string, number], family: 'IPv4' | 'IPv6'): ProxyHeader => ({
  kind: 'proxied', version, length,
  source: { address: src[0], port: src[1], family }, destination: { address: dst[0], port: dst[1], family },
});

describe('server: PROXY protocol parser', () => {
  const v1tcp4 = 'PROXY TCP4 203.0.113.7 10.0.0.2 51234 2222\r\n';
  const v1tcp6 = 'PROXY TCP6 2001:db8::7 2001:db8::2 51234 2222\r\n';
  const full6 = `${'ffff:'.repeat(7)}ffff`;
  const longestTcp6 = `PROXY TCP6 ${full6} ${full6} 65535 65535\r\n`;
  // The specification's worst case, 107 bytes.
  const longest = `PROXY UNKNOWN ${full6} ${full6} 65535 65535\r\n`;
  const v2tcp4 = v2(0x21, 0x11, tcp4('203.0.113.7', '10.0.0.2', 51234, 2222));
  const v2tcp6 = v2(0x21, 0x21, tcp6('2001:db8::7', '2001:db8::2', 51234, 2222));
  const withTlvs = v2(0x21, 0x11, Buffer.concat([tcp4('198.51.100.1', '10.0.0.2', 40000, 2222), tlv(0x01, Buffer.from('h2')), tlv(0x05, Buffer.alloc(32, 7))]));

  const cases: { name: string; input: Buffer; want: ProxyHeader }[] = [
    { name: 'nothing yet', input: Buffer.alloc(0), want: { kind: 'incomplete' } },
    // v1
    { name: 'v1 TCP4', input: Buffer.from(v1tcp4), want: proxied(1, v1tcp4.length, ['203.0.113.7', 51234], ['10.0.0.2', 2222], 'IPv4') },
    { name: 'v1 TCP6', input: Buffer.from(v1tcp6), want: proxied(1, v1tcp6.length, ['2001:db8::7', 51234], ['2001:db8::2', 2222], 'IPv6') },
    { name: 'v1 TCP6 with an IPv4-mapped address', input: Buffer.from('PROXY TCP6 ::ffff:10.1.1.1 ::1 1 2\r\n'),
      want: proxied(1, 36, ['::ffff:10.1.1.1', 1], ['::1', 2], 'IPv6') },
    { name: 'v1 longest TCP6', input: Buffer.from(longestTcp6), want: proxied(1, 104, [full6, 65535], [full6, 65535], 'IPv6') },
    { name: 'v1 of exactly 107 bytes', input: Buffer.from(longest), want: { kind: 'local', version: 1, length: 107 } },
    { name: 'v1 of 108 bytes', input: Buffer.from(`${longest.slice(0, -2)}5\r\n`), want: { kind: 'invalid', reason: 'PROXY v1: no CRLF within 107 bytes' } },
    { name: 'v1 followed by the SSH identification', input: Buffer.concat([Buffer.from(v1tcp4), ssh]),
      want: proxied(1, v1tcp4.length, ['203.0.113.7', 51234], ['10.0.0.2', 2222], 'IPv4') },
    { name: 'v1 UNKNOWN (health check)', input: Buffer.from('PROXY UNKNOWN\r\n'), want: { kind: 'local', version: 1, length: 15 } },
    { name: 'v1 UNKNOWN with ignored addresses', input: Buffer.from('PROXY UNKNOWN ffff:: ffff:: 1 2\r\n'), want: { kind: 'local', version: 1, length: 33 } },
    { name: 'v1 prefix', input: Buffer.from('PRO'), want: { kind: 'incomplete' } },
    { name: 'v1 line without its CRLF yet', input: Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.2 512'), want: { kind: 'incomplete' } },
    { name: 'v1 line with half its CRLF', input: Buffer.from(v1tcp4.slice(0, -1)), want: { kind: 'incomplete' } },
    { name: 'v1 over 107 bytes', input: Buffer.from(`PROXY UNKNOWN ${'x'.repeat(100)}\r\n`), want: { kind: 'invalid', reason: 'PROXY v1: no CRLF within 107 bytes' } },
    { name: 'v1 slowloris past 107 bytes', input: Buffer.from(`PROXY ${'1'.repeat(proxyV1MaxBytes)}`), want: { kind: 'invalid', reason: 'PROXY v1: no CRLF within 107 bytes' } },
    { name: 'v1 with a NUL byte', input: Buffer.from('PROXY TCP4 1.2.3.4\0'), want: { kind: 'invalid', reason: 'PROXY v1: unexpected byte in the header line' } },
    { name: 'v1 with a bare LF', input: Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'), want: { kind: 'invalid', reason: 'PROXY v1: unexpected byte in the header line' } },
    { name: 'v1 unknown protocol', input: Buffer.from('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'), want: { kind: 'invalid', reason: 'PROXY v1: unknown protocol' } },
    { name: 'v1 lower case', input: Buffer.from('proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), want: { kind: 'invalid', reason: 'no PROXY protocol header' } },
    { name: 'v1 IPv6 address under TCP4', input: Buffer.from('PROXY TCP4 ::1 ::1 1 2\r\n'), want: { kind: 'invalid', reason: 'PROXY v1: malformed addresses' } },
    { name: 'v1 IPv4 address under TCP6', input: Buffer.from('PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n'), want: { kind: 'invalid', reason: 'PROXY v1: malformed addresses' } },
    { name: 'v1 port out of range', input: Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'), want: { kind: 'invalid', reason: 'PROXY v1: malformed addresses' } },
    { name: 'v1 port with a leading zero', input: Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 022 2\r\n'), want: { kind: 'invalid', reason: 'PROXY v1: malformed addresses' } },
    { name: 'v1 missing port', input: Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'), want: { kind: 'invalid', reason: 'PROXY v1: malformed addresses' } },
    { name: 'v1 extra field', input: Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n'), want: { kind: 'invalid', reason: 'PROXY v1: malformed addresses' } },
    { name: 'v1 double space', input: Buffer.from('PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'), want: { kind: 'invalid', reason: 'PROXY v1: malformed addresses' } },
    { name: 'v1 bad address', input: Buffer.from('PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n'), want: { kind: 'invalid', reason: 'PROXY v1: malformed addresses' } },
    // v2
    { name: 'v2 TCP over IPv4', input: v2tcp4, want: proxied(2, 28, ['203.0.113.7', 51234], ['10.0.0.2', 2222], 'IPv4') },
    { name: 'v2 TCP over IPv6', input: v2tcp6, want: proxied(2, 52, ['2001:db8::7', 51234], ['2001:db8::2', 2222], 'IPv6') },
    { name: 'v2 with TLVs (skipped)', input: withTlvs, want: proxied(2, withTlvs.length, ['198.51.100.1', 40000], ['10.0.0.2', 2222], 'IPv4') },
    { name: 'v2 followed by the SSH identification', input: Buffer.concat([v2tcp4, ssh]), want: proxied(2, 28, ['203.0.113.7', 51234], ['10.0.0.2', 2222], 'IPv4') },
    { name: 'v2 LOCAL (health check)', input: v2(0x20, 0x00, Buffer.alloc(0)), want: { kind: 'local', version: 2, length: 16 } },
    { name: 'v2 LOCAL with an address block (ignored)', input: v2(0x20, 0x11, tcp4('1.2.3.4', '5.6.7.8', 1, 2)), want: { kind: 'local', version: 2, length: 28 } },
    { name: 'v2 PROXY with UNSPEC family', input: v2(0x21, 0x00, Buffer.alloc(0)), want: { kind: 'local', version: 2, length: 16 } },
    { name: 'v2 signature prefix', input: proxyV2Signature.subarray(0, 5), want: { kind: 'incomplete' } },
    { name: 'v2 fixed part incomplete', input: v2tcp4.subarray(0, 15), want: { kind: 'incomplete' } },
    { name: 'v2 addresses incomplete', input: v2tcp4.subarray(0, 27), want: { kind: 'incomplete' } },
    { name: 'v2 bad signature', input: Buffer.concat([Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0b]), Buffer.alloc(8)]),
      want: { kind: 'invalid', reason: 'no PROXY protocol header' } },
    { name: 'v2 version 1 in the binary form', input: v2(0x11, 0x11, tcp4('1.2.3.4', '5.6.7.8', 1, 2)), want: { kind: 'invalid', reason: 'PROXY v2: unsupported version' } },
    { name: 'v2 unknown command', input: v2(0x22, 0x11, tcp4('1.2.3.4', '5.6.7.8', 1, 2)), want: { kind: 'invalid', reason: 'PROXY v2: unknown command' } },
    { name: 'v2 UDP', input: v2(0x21, 0x12, tcp4('1.2.3.4', '5.6.7.8', 1, 2)), want: { kind: 'invalid', reason: 'PROXY v2: unsupported address family' } },
    { name: 'v2 unix socket', input: v2(0x21, 0x31, Buffer.alloc(216)), want: { kind: 'invalid', reason: 'PROXY v2: unsupported address family' } },
    { name: 'v2 IPv4 block too short', input: v2(0x21, 0x11, Buffer.alloc(11)), want: { kind: 'invalid', reason: 'PROXY v2: address block too short' } },
    { name: 'v2 IPv6 block too short', input: v2(0x21, 0x21, tcp4('1.2.3.4', '5.6.7.8', 1, 2)), want: { kind: 'invalid', reason: 'PROXY v2: address block too short' } },
    { name: 'v2 longest accepted', input: v2(0x21, 0x11, Buffer.concat([tcp4('1.2.3.4', '5.6.7.8', 1, 2), Buffer.alloc(proxyV2MaxBytes - 28)])),
      want: proxied(2, proxyV2MaxBytes, ['1.2.3.4', 1], ['5.6.7.8', 2], 'IPv4') },
    { name: 'v2 oversized, refused before its body arrives', input: v2(0x21, 0x11, Buffer.alloc(0), 65535),
      want: { kind: 'invalid', reason: `PROXY v2: header longer than ${proxyV2MaxBytes} bytes` } },
    { name: 'v2 one byte over the bound', input: v2(0x21, 0x11, Buffer.alloc(0), proxyV2MaxBytes - 15),
      want: { kind: 'invalid', reason: `PROXY v2: header longer than ${proxyV2MaxBytes} bytes` } },
    // No header at all
    { name: 'an SSH identification (missing header)', input: ssh, want: { kind: 'invalid', reason: 'no PROXY protocol header' } },
    { name: 'a lone CR then garbage', input: Buffer.from('\rX'), want: { kind: 'invalid', reason: 'no PROXY protocol header' } },
    { name: 'binary garbage', input: Buffer.from([0xff, 0x00, 0x13]), want: { kind: 'invalid', reason: 'no PROXY protocol header' } },
  ];
  for (const c of cases) it(c.name, () => expect(parseProxyHeader(c.input)).to.deep.equal(c.want));

  it('gives the same answer whichever way the bytes are split (byte by byte)', () => {
    for (const whole of [Buffer.from(v1tcp4), v2tcp6, withTlvs]) {
      for (let n = 1; n < whole.length; n++) expect(parseProxyHeader(whole.subarray(0, n)).kind, `${n} bytes`).to.equal('incomplete');
      expect(parseProxyHeader(whole).kind).to.equal('proxied');
    }
  });
});

describe('server: spotting a PROXY header from an untrusted peer', () => {
  const cases: [string, Buffer, 'yes' | 'no' | 'undecided'][] = [
    ['SSH identification', Buffer.from('SSH-2.0-x\r\n'), 'no'],
    ['v1', Buffer.from('PROXY TCP4 '), 'yes'],
    ['v1 prefix', Buffer.from('PROX'), 'undecided'],
    ['v1 look-alike', Buffer.from('PROXIMA'), 'no'],
    ['v2', v2(0x21, 0x11, Buffer.alloc(12)), 'yes'],
    ['v2 prefix', proxyV2Signature.subarray(0, 7), 'undecided'],
    ['CR LF then SSH', Buffer.from('\r\nSSH-2.0-x'), 'no'],
  ];
  for (const [name, input, want] of cases) it(name, () => expect(startsWithProxyHeader(input)).to.equal(want));
});
