import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { ClientChannel, ServerChannel } from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { applySharedWindow } from '../../../lib/ssh/shared-window.js';

const MiB = 1024 * 1024;

/** Resolves when `w` called back for `data`, or after `ms` (a write waiting for window that never comes). */
function writtenWithin(w: { write(data: Buffer, cb: () => void): unknown }, data: Buffer, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    w.write(data, () => { clearTimeout(t); resolve(true); });
  });
}

/**
 * A real ssh2 server (a hostile target) and a real ssh2 client (the portal's
 * side), which runs `onChannel` on its exec channel. The target sends 1 MiB to
 * stderr and then one byte to stdout, 40 times, as long as its writes go out.
 */
async function withHostileTarget(onChannel: (ch: ClientChannel) => Promise<void>): Promise<void> {
  const server = new ssh2.Server({ hostKeys: [generateKeyPair('ed25519', 256).privateKey] }, (conn) => {
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('session', (accept) => {
      accept().on('exec', (acceptExec) => {
        const ch: ServerChannel = acceptExec();
        ch.on('error', () => undefined);
        void (async () => {
          for (let i = 0; i < 40; i++) {
            if (!(await writtenWithin(ch.stderr, Buffer.alloc(MiB, 0x45), 10_000))) return;
            if (!(await writtenWithin(ch, Buffer.from('o'), 10_000))) return;
          }
        })();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = new ssh2.Client();
  try {
    await new Promise<void>((resolve, reject) => {
      client.on('error', reject);
      client.on('ready', () => client.exec('x', (err, ch) => {
        if (err) { reject(err); return; }
        onChannel(ch).then(resolve, reject);
      }));
      client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'u', password: 'p' });
    });
  } finally {
    client.end();
    server.close();
  }
}

describe('ssh/shared-window: a channel\'s stdout and stderr share its window', function () {
  this.timeout(20_000);
  before(() => { expect(applySharedWindow()).to.equal(true); });

  it('a target flooding stderr between single stdout bytes, nothing read: the client holds at most both buffers and one window (it held all 40 MiB)', async () => {
    await withHostileTarget(async (ch) => {
      // Nobody reads: both streams stay paused, as the relay's are while the user does not read.
      await new Promise((r) => setTimeout(r, 3_000));
      const held = (ch.readableLength + ch.stderr.readableLength) / MiB;
      expect(held, 'MiB held by the paused channel').to.be.at.most(6.5);
    });
  });

  it('the same, read once the target stopped: every byte arrives, in order per stream', async () => {
    await withHostileTarget(async (ch) => {
      await new Promise((r) => setTimeout(r, 1_000));
      let out = '';
      let errBytes = 0;
      let stray = 0;
      ch.on('data', (d: Buffer) => { out += d.toString('latin1'); });
      ch.stderr.on('data', (d: Buffer) => { errBytes += d.length; stray += d.filter((b) => b !== 0x45).length; });
      await new Promise((r) => setTimeout(r, 4_000));
      expect({ out: out.length, err: errBytes / MiB, stray, onlyO: /^o*$/.test(out) }).to.deep.equal({ out: 40, err: 40, stray: 0, onlyO: true });
    });
  });
});
