import { expect } from 'chai';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { fillChannel } from '../../support/fill.js';
import { connectSsh2, startPortalRig, type PortalRig } from '../../support/portal-rig.js';
import { requireSshd } from '../../support/sshd.js';

/**
 * What the portal may hold for one relayed channel whose far end stops
 * reading: the window its peer still has (2 MiB) plus the pump's read-ahead
 * and write buffer (lib/ssh/pump.ts), with room for the allocator. Before
 * the caps: 7.5 MiB per channel.
 */
const MAX_MIB_PER_CHANNEL = 4.5;

/**
 * One enrolled key, a client that opens many channels whose far end never
 * reads: forwards to a destination that accepts and never reads, sessions
 * whose output it never reads itself. ssh2 kept reading ahead for a paused
 * channel (2 MiB) and queued 2 MiB more to write on the other side, so each
 * such channel held ~7.5 MiB of the portal; with 128 channels per connection
 * one key could grow the portal by gigabytes.
 */
describe('security: channels whose far end never reads hold a bounded amount of the portal', function () {
  this.timeout(90_000);
  let rig: PortalRig;
  let deaf: Server;
  const deafSides: Socket[] = [];
  let client: ssh2.Client;

  /** The portal's ArrayBuffer memory (channel buffers live there) after a GC, MiB. */
  const buffersMiB = async (): Promise<number> => (await rig.portal.mem()).arrayBuffers / 2 ** 20;

  before(async function () {
    requireSshd(this);
    deaf = createServer((s) => { s.pause(); deafSides.push(s); });
    await new Promise<void>((resolve) => deaf.listen(0, '127.0.0.1', () => resolve()));
    rig = await startPortalRig('sshportal-unread-');
    client = await connectSsh2(rig.portal.port, rig.user);
  });
  after(async () => {
    client?.end();
    for (const s of deafSides) s.destroy();
    deaf?.close();
    await rig?.stop();
  });

  it(`20 forwards (-L) to a destination that never reads: ≤ ${MAX_MIB_PER_CHANNEL} MiB each`, async () => {
    const before = await buffersMiB();
    const port = (deaf.address() as AddressInfo).port;
    const channels = await Promise.all(Array.from({ length: 20 }, () => new Promise<ClientChannel>((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (err, ch) => (err ? reject(err) : resolve(ch)));
    })));
    await Promise.all(channels.map((ch) => fillChannel(ch, 2_000)));
    const perChannel = ((await buffersMiB()) - before) / channels.length;
    console.log(`      portal buffers: +${perChannel.toFixed(2)} MiB per forward`);
    expect(perChannel, 'MiB the portal holds per forward').to.be.at.most(MAX_MIB_PER_CHANNEL);
    for (const ch of channels) ch.close();
  });

  it(`8 sessions running \`cat /dev/zero\` whose output the client never reads: ≤ ${MAX_MIB_PER_CHANNEL} MiB each`, async () => {
    const before = await buffersMiB();
    const channels = await Promise.all(Array.from({ length: 8 }, () => new Promise<ClientChannel>((resolve, reject) => {
      client.exec('cat /dev/zero', (err, ch) => {
        if (err) { reject(err); return; }
        ch.pause();
        resolve(ch);
      });
    })));
    // The target fills every window it is given within a second.
    await new Promise((r) => setTimeout(r, 3_000));
    const perChannel = ((await buffersMiB()) - before) / channels.length;
    console.log(`      portal buffers: +${perChannel.toFixed(2)} MiB per session`);
    expect(perChannel, 'MiB the portal holds per session').to.be.at.most(MAX_MIB_PER_CHANNEL);
    for (const ch of channels) ch.close();
  });
});
