import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import ssh2 from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import type { HopTarget } from '../../../lib/proxy/types.js';
import { tempDir, type TempDir } from '../../support/keys.js';
import { closedWithin, waitFor } from '../../support/wait.js';
import { relayOptions, sshArgs, startFront, suiteKeys, type Front, type Observed } from '../relay/harness.js';

/**
 * A jump host that lets the portal in and never answers its channel open
 * for the next hop (hung, or hostile). A user who gave up while the portal
 * dialed through it left the relay waiting for that answer: with a real
 * sshd in the way, until the kernel's connect timeout (~2 min); with this
 * one, for good. The session row, the revocation ticket, the relays entry
 * and the jump host's connection were held all that time.
 */
describe('security: a user who leaves while a multi-hop dial hangs releases everything at once', function () {
  let tmp: TempDir;
  let keys: ReturnType<typeof suiteKeys>;
  let front: Front;
  let jump: ssh2.Server;
  const observed: Observed = { events: [], summaries: [] };
  const jumpSockets: Socket[] = [];
  let asked = 0;
  before(async () => {
    tmp = tempDir();
    keys = suiteKeys(tmp.path);
    jump = new ssh2.Server({ hostKeys: [generateKeyPair('ed25519', 256).privateKey] }, (conn) => {
      jumpSockets.push((conn as unknown as { _sock: Socket })._sock);
      conn.on('error', () => undefined);
      conn.on('authentication', (ctx) => ctx.accept());
      conn.on('tcpip', () => { asked++; });
    });
    jump.listen(0, '127.0.0.1');
    await once(jump, 'listening');
    const hop = (name: string, port: number): HopTarget => ({ name, host: '127.0.0.1', port, username: 'u', password: 'p', verifyHostKey: () => Promise.resolve() });
    const chain = [hop('jump', (jump.address() as AddressInfo).port), hop('behind', 22)];
    front = await startFront(keys.front, () => relayOptions({ chain, recording: { mode: 'disabled', dir: tmp.path, baseName: 'x' } }, observed));
  });
  after(async () => {
    await front?.close();
    for (const s of jumpSockets) s.destroy();
    jump?.close();
    tmp?.remove();
  });

  it('the relay closes, and the jump host\'s connection with it, within 1 s of the user leaving', async () => {
    const user = spawn('ssh', sshArgs(front, keys.user, 'behind', 'true'), { stdio: 'ignore' });
    const exited = once(user, 'exit');
    try {
      await waitFor(() => asked === 1, 20_000, 'the jump host to be asked for the next hop');
      expect(front.relays).to.have.length(1);
      const t0 = Date.now();
      user.kill('SIGKILL');
      await exited;
      const relayClosed = await Promise.race([
        front.relays[0].closed.then(() => Date.now() - t0),
        new Promise<null>((r) => setTimeout(() => r(null), 1_000).unref()),
      ]);
      expect(relayClosed, 'the relay closed (its session row, ticket and entry go with it)').to.not.equal(null);
      expect(observed.summaries).to.have.length(1);
      expect(await closedWithin(jumpSockets[0], Math.max(1, 1_000 - (Date.now() - t0))), 'the jump host\'s connection closed').to.not.equal(null);
      console.log(`      relay closed ${String(relayClosed)} ms after the user left`);
    } finally {
      if (user.exitCode === null && user.signalCode === null) user.kill('SIGKILL');
    }
  });
});
