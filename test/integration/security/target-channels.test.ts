import { expect } from 'chai';
import { connect as tcpConnect, type Socket } from 'node:net';
import type ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { connectSsh2, startPortalRig, type PortalRig } from '../../support/portal-rig.js';
import { requireSshd } from '../../support/sshd.js';

const MAX_CHANNELS = 8;

/**
 * Channels the target opens towards the client (`-R` connections, X11, agent)
 * count in the connection's channel budget as the client's own do: before,
 * a process on the target connecting to a `-R` port in a loop made the portal
 * open a channel to the client for each, without end.
 */
describe('security: channels the target opens count in --max-channels', function () {
  this.timeout(60_000);
  let rig: PortalRig;
  const clients: ssh2.Client[] = [];
  const sockets: Socket[] = [];

  before(async function () {
    requireSshd(this);
    rig = await startPortalRig('sshportal-target-channels-', { flags: { maxChannels: String(MAX_CHANNELS) } });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    for (const c of clients) c.end();
    await rig?.stop();
  });

  it(`30 connections to a -R port on the target: at most ${MAX_CHANNELS} reach the client at once, and the connection goes on`, async () => {
    const client = await connectSsh2(rig.portal.port, rig.user);
    clients.push(client);
    const port = await new Promise<number>((resolve, reject) => client.forwardIn('127.0.0.1', 0, (err, p) => (err ? reject(err) : resolve(p))));
    const reached: ClientChannel[] = [];
    client.on('tcp connection', (_info, accept) => { reached.push(accept()); });
    for (let i = 0; i < 30; i++) {
      const s = tcpConnect(port, rig.target.host);
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
    const again = tcpConnect(port, rig.target.host);
    again.on('error', () => undefined);
    sockets.push(again);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(reached.length, 'a connection after the others closed').to.equal(before + 1);
  });

  /**
   * A forward whose client side closed while the target side still held data
   * nobody would read: ssh2 emits a channel's 'close' only once its readable
   * side ended, so the target's paused channel never closed, and the forward
   * kept its slot (and what it read ahead) until the connection ended. After
   * `--max-channels` of them no `-R` connection reached the client any more.
   */
  it(`${MAX_CHANNELS * 2} -R connections in turn, each sending 8 MiB the client never reads before closing its channel: every one reaches the client`, async () => {
    const client = await connectSsh2(rig.portal.port, rig.user);
    clients.push(client);
    const port = await new Promise<number>((resolve, reject) => client.forwardIn('127.0.0.1', 0, (err, p) => (err ? reject(err) : resolve(p))));
    const arrivals: ((ch: ClientChannel) => void)[] = [];
    client.on('tcp connection', (_info, accept) => { const ch = accept(); ch.pause(); arrivals.shift()?.(ch); });
    for (let i = 0; i < MAX_CHANNELS * 2; i++) {
      let timer: NodeJS.Timeout | undefined;
      const arrived = new Promise<ClientChannel | undefined>((resolve) => {
        arrivals.push(resolve);
        timer = setTimeout(() => resolve(undefined), 3_000);
      });
      const s = tcpConnect(port, rig.target.host);
      s.on('error', () => undefined);
      s.write(Buffer.alloc(8 * 1024 * 1024, 0x62));
      sockets.push(s);
      const ch = await arrived;
      clearTimeout(timer);
      expect(ch, `connection ${i + 1} reached the client`).to.not.equal(undefined);
      // Let the portal fill what it holds for this channel, then close the client's side without reading.
      await new Promise((r) => setTimeout(r, 300));
      ch?.close();
    }
  });
});
