import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { HopTarget } from '../../../lib/proxy/types.js';
import { tempDir, type TempDir } from '../../support/keys.js';
import { silentHop, type SilentHop } from '../../support/silent-hop.js';
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
  let jump: SilentHop;
  const observed: Observed = { events: [], summaries: [] };
  before(async () => {
    tmp = tempDir();
    keys = suiteKeys(tmp.path);
    jump = await silentHop();
    const hop = (name: string, port: number): HopTarget => ({ name, host: '127.0.0.1', port, username: 'u', password: 'p', verifyHostKey: () => Promise.resolve() });
    const chain = [hop('jump', jump.port), hop('behind', 22)];
    front = await startFront(keys.front, () => relayOptions({ chain, recording: { mode: 'disabled', dir: tmp.path, baseName: 'x' } }, observed));
  });
  after(async () => {
    await front?.close();
    jump?.close();
    tmp?.remove();
  });

  it('the relay closes, and the jump host\'s connection with it, within 1 s of the user leaving', async () => {
    const user = spawn('ssh', sshArgs(front, keys.user, 'behind', 'true'), { stdio: 'ignore' });
    const exited = once(user, 'exit');
    try {
      await waitFor(() => jump.asked() === 1, 20_000, 'the jump host to be asked for the next hop');
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
      expect(await closedWithin(jump.sockets[0], Math.max(1, 1_000 - (Date.now() - t0))), 'the jump host\'s connection closed').to.not.equal(null);
      console.log(`      relay closed ${String(relayClosed)} ms after the user left`);
    } finally {
      if (user.exitCode === null && user.signalCode === null) user.kill('SIGKILL');
    }
  });
});
