/**
 * Hostile PROXY headers, sent as an attacker would from the trusted
 * balancer's own address (127.0.0.1) with a raw TCP client: malformed,
 * oversized and slowloris headers. The portal must refuse each without ever
 * starting SSH, stay within its memory bound, and keep answering another
 * user (through the real HAProxy) within 2 s while it happens.
 */
import { expect } from 'chai';
import { proxyV2Signature } from '../../../lib/server/proxy-protocol.js';
import { requireHaproxy } from '../../support/haproxy.js';
import { prng } from '../../support/prng.js';
import { rawClient, startBalanced, type Balanced } from './balancer.js';

const graceMs = 6_000;
const trusted = '127.0.0.1';

const v2Fixed = (verCmd: number, fam: number, len: number): Buffer => Buffer.concat([proxyV2Signature, Buffer.from([verCmd, fam, len >> 8, len & 0xff])]);

describe('security: hostile PROXY headers from the trusted balancer address', function () {
  this.timeout(120_000);
  let b: Balanced;

  /** Another user's admin command through HAProxy: its duration in ms (it must succeed). */
  const adminCommandMs = async (): Promise<number> => {
    const t = Date.now();
    const r = await b.ssh('send-proxy-v2', '127.0.0.9', ['version']);
    expect([r.code, r.stdout], r.stderr).to.deep.equal([0, 'test\n']);
    return Date.now() - t;
  };

  before(async function () {
    requireHaproxy(this);
    b = await startBalanced(this, { loginGraceTime: `${graceMs / 1000}s`, maxStartups: '256' });
  });
  after(async () => { await b?.close(); });

  const rand = prng(1214);
  const garbage = Buffer.from(Array.from({ length: 256 }, () => Math.floor(rand() * 256)));
  garbage[0] = 0x7f; // never a valid first byte, whatever the seed
  const cases: { name: string; bytes: Buffer }[] = [
    { name: 'an SSH identification without a header', bytes: Buffer.from('SSH-2.0-OpenSSH_9.2\r\n') },
    { name: 'seeded random bytes', bytes: garbage },
    { name: 'a v1 line over 107 bytes', bytes: Buffer.from(`PROXY TCP4 ${'1'.repeat(200)}`) },
    { name: 'a 1 MiB v1 line', bytes: Buffer.concat([Buffer.from('PROXY '), Buffer.alloc(1 << 20, 0x41)]) },
    { name: 'a v1 line with a bad address', bytes: Buffer.from('PROXY TCP4 999.1.1.1 127.0.0.1 1 2\r\nSSH-2.0-x\r\n') },
    { name: 'a v1 line with a NUL byte', bytes: Buffer.from('PROXY TCP4 1.2.3.4\0 127.0.0.1 1 2\r\n') },
    { name: 'a v1 line ending in a bare LF', bytes: Buffer.from('PROXY TCP4 1.2.3.4 127.0.0.1 1 2\n') },
    { name: 'a v2 header declaring 65535 bytes (refused before its body)', bytes: v2Fixed(0x21, 0x11, 65535) },
    { name: 'a v2 header of version 3', bytes: Buffer.concat([v2Fixed(0x31, 0x11, 12), Buffer.alloc(12)]) },
    { name: 'a v2 UDP header', bytes: Buffer.concat([v2Fixed(0x21, 0x12, 12), Buffer.alloc(12)]) },
    { name: 'a v2 IPv6 header with a short address block', bytes: Buffer.concat([v2Fixed(0x21, 0x21, 12), Buffer.alloc(12)]) },
    { name: 'a broken v2 signature', bytes: Buffer.concat([proxyV2Signature.subarray(0, 11), Buffer.from('X'), Buffer.alloc(16)]) },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} at once, without starting SSH`, async () => {
      const from = b.portal.logs.length;
      const r = await rawClient(b.portal.port, { from: trusted, send: c.bytes, timeoutMs: graceMs + 5_000 });
      // Refused on the spot, not left to the login grace time; SSH never said a word.
      expect(r.closedAfterMs).to.be.below(graceMs / 2);
      expect(r.received.length).to.equal(0);
      expect(b.portal.logs.slice(from).some((l) => l.includes('bad PROXY protocol header'))).to.equal(true);
    });
  }

  it('drops slowloris headers at the login grace time; meanwhile another user is answered within 2 s and memory stays bounded', async () => {
    const rssBefore = process.memoryUsage().rss;
    const v1 = Buffer.from('PROXY TCP4 203.0.113.1 127.0.0.1 40000 2222\r\n');
    // Half drip a v1 line, half a v2 header announcing a long TLV area: neither completes before the grace time.
    const drips = Array.from({ length: 100 }, (_, i) => rawClient(b.portal.port, i % 2 === 0
      ? { from: trusted, drip: v1, dripMs: 400, timeoutMs: graceMs + 10_000 }
      : { from: trusted, send: v2Fixed(0x21, 0x11, 2000), drip: Buffer.alloc(2000), dripMs: 400, timeoutMs: graceMs + 10_000 }));
    await new Promise((r) => setTimeout(r, 1_500));
    const answered: number[] = [];
    for (let i = 0; i < 3; i++) answered.push(await adminCommandMs());
    expect(Math.max(...answered), `admin command times ${answered.join(', ')} ms`).to.be.below(2_000);
    const outcomes = await Promise.all(drips);
    for (const o of outcomes) {
      expect(o.closedAfterMs).to.be.within(graceMs - 500, graceMs + 6_000);
      expect(o.received.length).to.equal(0);
    }
    expect(b.portal.logs.filter((l) => l.includes('login grace time exceeded')).length).to.be.at.least(100);
    expect(process.memoryUsage().rss - rssBefore).to.be.below(200 * 1024 * 1024);
    // And the portal still serves.
    expect(await adminCommandMs()).to.be.below(2_000);
  });
});
