import { expect } from 'chai';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type ssh2 from 'ssh2';
import { SshKey } from '../../../lib/db/entities/index.js';
import { connectAttacker, rssMiB } from '../../support/attack-client.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';

/** Sends `chunk` until `maxBytes` or `budgetMs`, ignoring the channel's window (as an attacker's own SSH code would). */
async function overrun(ch: ssh2.ClientChannel, sock: { writableLength: number } & NodeJS.EventEmitter, closed: () => boolean, maxBytes: number, budgetMs: number): Promise<number> {
  // Not a divisor of ssh2's 2 MiB window: a packet ends up straddling what is left of it.
  const chunk = Buffer.alloc(30_000, 0x61);
  const until = Date.now() + budgetMs;
  let sent = 0;
  while (Date.now() < until && sent < maxBytes && !closed()) {
    (ch as unknown as { outgoing: { window: number } }).outgoing.window = 2 ** 31;
    ch.write(chunk);
    sent += chunk.length;
    if (sock.writableLength > 1024 * 1024) await Promise.race([once(sock, 'drain'), new Promise((r) => setTimeout(r, 2_000))]);
    if (sock.writableLength > 1024 * 1024) break;
  }
  return sent;
}

/**
 * ssh2 drops channel data only when a window is exactly 0; a packet larger
 * than what is left drives it negative and everything after it was queued
 * while the channel's consumer is paused (measured before the fix: 400 MB
 * sent into a session whose target does not read stdin, +590 MB RSS).
 */
describe('security: a peer that sends past its channel window is dropped', function () {
  let portal: Portal;
  let target: SshdTarget;
  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3' });
    const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    expect((await portal.ssh(['host', 'create', '--name=web01', `${target.user}@127.0.0.1:${target.port}`])).code).to.equal(0);
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
  });

  it('user into a session whose target never reads stdin: cut, logged once; RSS bounded; admin answered within 2 s', async () => {
    const rss0 = rssMiB();
    const a = await connectAttacker(portal.port, 'web01', readFileSync(portal.adminKey, 'utf8'));
    let closed = false;
    void a.closed.then(() => { closed = true; });
    try {
      const ch = await new Promise<ssh2.ClientChannel>((resolve, reject) => a.client.exec('sleep 60', (e, c) => (e ? reject(e) : resolve(c))));
      ch.on('data', () => undefined);
      ch.stderr.on('data', () => undefined);
      const sent = await overrun(ch, a.sock, () => closed, 300 * 1024 * 1024, 20_000);
      await Promise.race([a.closed, new Promise((r) => setTimeout(r, 5_000))]);
      expect(closed, `connection still open after ${sent} bytes`).to.equal(true);
      expect(sent).to.be.below(100 * 1024 * 1024);
      expect(rssMiB() - rss0).to.be.below(100);
      expect(portal.logs.filter((l) => l.includes('client sent past its channel window'))).to.have.length(1);
      const t = Date.now();
      const r = await portal.ssh(['info'], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).to.equal(0);
      expect(Date.now() - t).to.be.below(2_000);
    } finally {
      a.sock.destroy();
    }
  });

  it('a well-behaved client is never cut: 20 MB into the target through OpenSSH', async () => {
    const r = await portal.ssh(['cat > /dev/null; echo done'], { login: 'web01', input: Buffer.alloc(20 * 1024 * 1024, 0x62), timeoutMs: 60_000 });
    expect([r.code, r.stdout], r.stderr).to.deep.equal([0, 'done\n']);
    expect(portal.logs.filter((l) => l.includes('past its channel window'))).to.have.length(1);
  });
});
