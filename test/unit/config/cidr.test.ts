import { expect } from 'chai';
import { cidrContains, formatCidr, formatIp, parseCidr, parseIp } from '../../../lib/config/cidr.js';

describe('config: parseIp and formatIp', () => {
  const valid: [string, string][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::', 'fe80::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ['1::8', '1::8'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['::ffff:a00:1', '::ffff:10.0.0.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ];
  for (const [text, canonical] of valid) {
    it(`parses ${text}`, () => {
      const bytes = parseIp(text);
      expect(bytes, text).to.not.equal(null);
      expect(formatIp(bytes ?? Buffer.alloc(0))).to.equal(canonical);
    });
  }
  const invalid = ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d',
    ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', ':1::2', '1:2:3:4:5:6:7:8::',
    '::1.2.3', '1.2.3.4::', '[::1]', 'fe80::1%eth0', 'x'.repeat(100)];
  for (const text of invalid) it(`refuses '${text.slice(0, 20)}'`, () => expect(parseIp(text)).to.equal(null));
});

describe('config: CIDR ranges', () => {
  const parsed: [string, string | null][] = [
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['10.1.2.3', '10.1.2.3/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.168.1.129/25', '192.168.1.128/25'],
    ['fd00::/8', 'fd00::/8'],
    ['2001:db8::1/128', '2001:db8::1/128'],
    ['2001:db8:ffff::/33', '2001:db8:8000::/33'],
    ['::1', '::1/128'],
    ['10.0.0.0/33', null],
    ['::/129', null],
    ['10.0.0.0/', null],
    ['10.0.0.0/08', null],
    ['10.0.0.0/8/8', null],
    ['/8', null],
    ['10.0.0.0/-1', null],
  ];
  for (const [text, want] of parsed) {
    it(`parses '${text}' as ${want ?? 'invalid'}`, () => {
      const r = parseCidr(text);
      expect(r ? formatCidr(r) : null).to.equal(want);
    });
  }

  const matches: [string, string, boolean][] = [
    ['10.0.0.0/8', '10.255.0.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.168.1.128/25', '192.168.1.127', false],
    ['192.168.1.128/25', '192.168.1.200', true],
    ['127.0.0.1/32', '127.0.0.1', true],
    ['127.0.0.1/32', '127.0.0.2', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['fd00::/8', 'fd12:3456::1', true],
    ['fd00::/8', 'fe80::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['::/0', '2001:db8::1', true],
    // IPv4-mapped IPv6 addresses (a dual-stack socket's IPv4 peers) match IPv4 ranges …
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', '::ffff:11.1.2.3', false],
    ['127.0.0.1', '::ffff:127.0.0.1', true],
    // … and IPv4 addresses match mapped IPv6 ranges.
    ['::ffff:10.0.0.0/104', '10.9.9.9', true],
    ['::ffff:10.0.0.0/104', '11.9.9.9', false],
    ['::ffff:0:0/96', '192.0.2.1', true],
    ['::/0', '192.0.2.1', true],
    // A non-mapped IPv6 address never matches an IPv4 range with the same low bytes.
    ['10.0.0.0/8', '::a00:1', false],
    ['fe80::/10', 'fe80::1%eth0', true],
    ['10.0.0.0/8', 'not-an-ip', false],
    ['10.0.0.0/8', '', false],
  ];
  for (const [range, addr, want] of matches) {
    it(`${range} ${want ? 'contains' : 'does not contain'} ${addr || "''"}`, () => {
      const r = parseCidr(range);
      if (!r) throw new Error(`bad range ${range}`);
      expect(cidrContains(r, addr)).to.equal(want);
    });
  }
});
