import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { peakRssGrowthMiB } from '../../support/attack-client.js';
import { sshOptions } from '../../support/openssh.js';
import { adminInfoMs, startPortal, type Portal } from '../../support/portal.js';

/** ssh2 internals the hostile target drives directly. */
interface RawServerSide {
  _protocol: { channelWindowAdjust(id: number, amount: number): void };
  _sock: { pause(): void; destroy(): void };
}

/**
 * A hostile target (a tunnel host is its connector's own machine): it grants
 * the portal a 4 GiB window on its exec channel, then stops reading its socket.
 * ssh2 only ever waits for windows, so the portal queued the user's whole
 * upload for it (measured before the fix: +470 MB in 15 s, growing).
 */
describe('security: a target that grants a huge window and stops reading cannot grow the portal', function () {
  let portal: Portal;
  let target: ssh2.Server;
  /** The target's side of each portal connection: its socket is paused, so it never sees the portal leave. */
  const targetSides: RawServerSide[] = [];
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3' });
    target = new ssh2.Server({ hostKeys: [generateKeyPair('ed25519', 256).privateKey] }, (client) => {
      client.on('error', () => undefined);
      targetSides.push(client as unknown as RawServerSide);
      client.on('authentication', (ctx) => ctx.accept());
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec) => {
          const ch = acceptExec();
          const raw = client as unknown as RawServerSide;
          raw._protocol.channelWindowAdjust((ch as unknown as { outgoing: { id: number } }).outgoing.id, 2 ** 32 - 1 - 2 * 1024 * 1024);
          setTimeout(() => raw._sock.pause(), 200);
        });
      });
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', () => resolve()));
    const r = await portal.ssh(['host', 'create', '--name=evil', `x@127.0.0.1:${(target.address() as AddressInfo).port}`]);
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => {
    await portal?.close();
    for (const side of targetSides) side._sock.destroy();
    target?.close();
  });

  it('a user uploading into it through real OpenSSH: portal RSS within +100 MB over 10 s; admin answered within 2 s', async () => {
    const upload = spawn('sh', ['-c', `head -c 2000000000 /dev/zero | ssh ${sshOptions(portal.port, portal.adminKey).join(' ')} evil@127.0.0.1 'cat >/dev/null'`], { detached: true, stdio: 'ignore' });
    try {
      let adminMs = Infinity;
      const growth = await peakRssGrowthMiB(async () => {
        await new Promise((r) => setTimeout(r, 10_000));
        adminMs = await adminInfoMs(portal);
      });
      expect(adminMs).to.be.below(2_000);
      expect(growth).to.be.below(100);
    } finally {
      try { process.kill(-(upload.pid as number), 'SIGKILL'); } catch { /* already gone */ }
    }
  });
});
