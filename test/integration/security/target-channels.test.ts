import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { startBenchProcess, type BenchProcess } from '../../../bench/child.js';
import { timed } from '../../../bench/measure.js';
import { sshOpts } from '../../../bench/uploads.js';
import { generateKey, tempDir, type TempDir, type TestKey } from '../../support/keys.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';

const MAX_CHANNELS = 8;

/**
 * Channels the target opens towards the client (`-R` connections, X11, agent)
 * count in the connection's channel budget as the client's own do: before,
 * a process on the target connecting to a `-R` port in a loop made the portal
 * open a channel to the client for each, without end.
 */
describe('security: channels the target opens count in --max-channels', function () {
  this.timeout(60_000);
  let tmp: TempDir;
  let user: TestKey;
  let target: SshdTarget;
  let portal: BenchProcess;
  let client: ssh2.Client;
  const sockets: Socket[] = [];

  before(async function () {
    requireSshd(this);
    tmp = tempDir('sshportal-target-channels-');
    user = generateKey(join(tmp.path, 'user'));
    const portalKey = generateKey(join(tmp.path, 'portal'));
    target = await startSshd({ authorizedKeys: [user.publicKey, portalKey.publicKey] });
    const inviteToken = randomBytes(12).toString('hex');
    portal = await startBenchProcess('portal.ts', {
      dir: tmp.path, inviteToken, portalKey, target: { host: target.host, port: target.port, user: target.user }, flags: { maxChannels: String(MAX_CHANNELS) },
    });
    await timed(`ssh ${sshOpts(user.path).join(' ')} -p ${portal.port} invite:${inviteToken}@127.0.0.1`);
    client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', reject);
      client.connect({ host: '127.0.0.1', port: portal.port, username: 'web', privateKey: user.privateKey });
    });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    client?.end();
    await portal?.stop();
    await target?.stop();
    tmp?.remove();
  });

  it(`30 connections to a -R port on the target: at most ${MAX_CHANNELS} reach the client at once, and the connection goes on`, async () => {
    const port = await new Promise<number>((resolve, reject) => client.forwardIn('127.0.0.1', 0, (err, p) => (err ? reject(err) : resolve(p))));
    const reached: ClientChannel[] = [];
    client.on('tcp connection', (_info, accept) => { reached.push(accept()); });
    for (let i = 0; i < 30; i++) {
      const s = tcpConnect(port, target.host);
      s.on('error', () => undefined);
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 3_000));
    console.log(`      ${reached.length} of 30 reached the client`);
    expect(reached.length, 'channels opened to the client').to.be.within(1, MAX_CHANNELS);
    // Their slots come back when they close: a new connection gets through.
    for (const ch of reached) ch.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 1_000));
    const before = reached.length;
    const again = tcpConnect(port, target.host);
    again.on('error', () => undefined);
    sockets.push(again);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(reached.length, 'a connection after the others closed').to.equal(before + 1);
  });
});
