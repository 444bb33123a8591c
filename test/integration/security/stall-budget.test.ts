import { expect } from 'chai';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import type { StallLimits } from '../../../lib/proxy/stall-decision.js';
import { fillChannel } from '../../support/fill.js';
import { connectSsh2, startPortalRig, type PortalRig } from '../../support/portal-rig.js';
import { requireSshd } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';

const MiB = 1024 * 1024;
/** Shrunk so that a few stalled channels are well over it and the test takes seconds. */
const limits: StallLimits = { perUserBytes: 8 * MiB, perNodeBytes: 1024 * MiB, minStallMs: 1_500, graceMs: 2_000, sweepMs: 250 };
/**
 * What the portal may still hold for the user: the budget counts the bytes
 * its pumps hold; the memory behind them is up to ~1.5 × that (a buffered
 * chunk keeps its whole packet buffer), plus room for the allocator.
 */
const boundMiB = (1.5 * limits.perUserBytes) / MiB + 2;

function forward(client: ssh2.Client, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (err, ch) => (err ? reject(err) : resolve(ch)));
  });
}

function execOut(client: ssh2.Client, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, ch) => {
      if (err) { reject(err); return; }
      let out = '';
      ch.on('data', (d: Buffer) => { out += d.toString(); });
      ch.on('close', () => resolve(out));
    });
  });
}

/**
 * One enrolled key fills channel after channel whose destination never reads:
 * each is bounded (unread-channels.test.ts), but together they were bounded
 * only by `--max-channels` × `--max-user-connections`. The stall budget
 * closes the channels stalled the longest once the user's stalled channels
 * hold more than its budget; a client that does not even answer the close
 * loses its connection.
 */
describe('security: what one user\'s stalled channels may hold together is bounded', function () {
  this.timeout(90_000);
  let rig: PortalRig;
  let deaf: Server;
  let deafPort: number;
  const deafSides: Socket[] = [];
  /** A destination that sends 8 MiB to each connection and keeps it open. */
  let talker: Server;
  let talkerPort: number;
  const talkerSides: Socket[] = [];
  const clients: ssh2.Client[] = [];

  const buffersMiB = async (): Promise<number> => (await rig.portal.mem()).arrayBuffers / MiB;
  /** The portal's buffers once what earlier tests closed is gone (two readings 0.5 s apart within 0.25 MiB). */
  const settledMiB = async (): Promise<number> => {
    let last = await buffersMiB();
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const now = await buffersMiB();
      if (Math.abs(now - last) < 0.25) return now;
      last = now;
    }
  };
  /** `channel-cut` events in the audit trail, as `event ls` shows them (the enrolled key is the admin's). */
  const cutEvents = async (): Promise<number> => {
    const admin = await connectSsh2(rig.portal.port, rig.user, 'admin');
    try {
      return (await execOut(admin, 'event ls')).split('\n').filter((l) => l.includes('channel-cut')).length;
    } finally {
      admin.end();
    }
  };

  before(async function () {
    requireSshd(this);
    deaf = createServer((s) => { s.pause(); deafSides.push(s); });
    await new Promise<void>((resolve) => deaf.listen(0, '127.0.0.1', () => resolve()));
    deafPort = (deaf.address() as AddressInfo).port;
    talker = createServer((s) => { s.on('error', () => undefined); s.write(Buffer.alloc(8 * MiB, 0x74)); talkerSides.push(s); });
    await new Promise<void>((resolve) => talker.listen(0, '127.0.0.1', () => resolve()));
    talkerPort = (talker.address() as AddressInfo).port;
    rig = await startPortalRig('sshportal-stalls-', { stallLimits: limits });
  });
  after(async () => {
    for (const c of clients) c.end();
    for (const s of deafSides) s.destroy();
    deaf?.close();
    for (const s of talkerSides) s.destroy();
    talker?.close();
    await rig?.stop();
  });

  /** A new connection of the user's to the host `web`, ended after the tests. */
  const newClient = async (): Promise<ssh2.Client> => {
    const client = await connectSsh2(rig.portal.port, rig.user);
    clients.push(client);
    return client;
  };
  /** The connection still relays after its channels were cut; then the rest are closed. */
  const stillRelaysThenClose = async (client: ssh2.Client, channels: ClientChannel[]): Promise<void> => {
    expect(await execOut(client, 'echo still-here'), 'the same connection still relays').to.equal('still-here\n');
    for (const ch of channels) ch.close();
  };

  /** `n` sessions running `cat /dev/zero` whose output the client never reads. */
  const unreadSessions = (client: ssh2.Client, n: number): Promise<ClientChannel[]> => Promise.all(Array.from({ length: n }, () => new Promise<ClientChannel>((resolve, reject) => {
    client.exec('cat /dev/zero', (err, ch) => {
      if (err) { reject(err); return; }
      ch.pause();
      resolve(ch);
    });
  })));

  it(`8 sessions whose output is never read: the oldest are cut until the user holds ≤ ${limits.perUserBytes / MiB} MiB; the connection goes on`, async () => {
    const client = await newClient();
    const before = await buffersMiB();
    const channels = await unreadSessions(client, 8);
    // Filled within a second, stalled for minStallMs, then cut within a sweep or two.
    await waitFor(async () => (await cutEvents()) > 0 && (await buffersMiB()) - before <= boundMiB, 20_000, 'the portal to cut stalled sessions');
    await new Promise((r) => setTimeout(r, 1_000));
    const cuts = await cutEvents();
    const held = (await buffersMiB()) - before;
    console.log(`      ${cuts} of 8 sessions cut, portal buffers +${held.toFixed(1)} MiB`);
    expect(cuts, 'sessions cut').to.be.within(1, 7);
    expect(held, 'MiB the portal still holds for this user').to.be.at.most(boundMiB);
    await stillRelaysThenClose(client, channels);
  });

  it('sessions whose client reads a little now and then (never its backlog) are cut all the same', async () => {
    const client = await newClient();
    const cutsBefore = await cutEvents();
    const channels = await unreadSessions(client, 8);
    // The channels take all they get; the client's socket is what reads little: 2 ms every 500 ms, so the portal's
    // pumps move, and wait again, all the time, but less in a stall's 1.5 s than the ~3 MiB each holds.
    for (const ch of channels) { ch.on('data', () => undefined); ch.resume(); }
    const sock = (client as unknown as { _sock: Socket })._sock;
    sock.pause();
    const nibble = setInterval(() => { sock.resume(); setTimeout(() => sock.pause(), 2); }, 500);
    try {
      await waitFor(async () => (await cutEvents()) > cutsBefore, 30_000, 'the portal to cut sessions read only a little');
    } finally {
      clearInterval(nibble);
      sock.resume();
    }
    await stillRelaysThenClose(client, channels);
  });

  it('sessions the client closed while their output waited are not kept (nothing is watched after a close)', async () => {
    const client = await newClient();
    const before = await settledMiB();
    // Two: under the budget, so nothing is cut; the portal holds ~3 MiB for each until the client closes them.
    const channels = await unreadSessions(client, 2);
    await waitFor(async () => (await buffersMiB()) - before > 4, 10_000, 'the sessions to fill');
    for (const ch of channels) ch.close();
    await waitFor(async () => (await buffersMiB()) - before < 1, 10_000, 'the portal to let go of closed sessions');
  });

  it('forwards the client closed while their destination\'s output waited are not kept either', async () => {
    const client = await newClient();
    const before = await settledMiB();
    // Two, each from a destination that sends 8 MiB at once: the client reads none of it, then closes.
    const channels = await Promise.all([talkerPort, talkerPort].map((port) => forward(client, port)));
    for (const ch of channels) ch.pause();
    await waitFor(async () => (await buffersMiB()) - before > 2, 10_000, 'the forwards to fill');
    for (const ch of channels) ch.close();
    await waitFor(async () => (await buffersMiB()) - before < 1, 10_000, 'the portal to let go of closed forwards');
  });

  it('stalled forwards whose target never closes its side: cut, then the connection ends', async () => {
    const client = await newClient();
    let gone = false;
    client.on('close', () => { gone = true; });
    client.on('error', () => undefined);
    // Ten: how much each one stalls with depends on how much the kernel buffers towards the deaf destination.
    const channels = await Promise.all(Array.from({ length: 10 }, () => forward(client, deafPort)));
    // sshd keeps a direct-tcpip channel open while its destination has not read what it was sent.
    await Promise.all(channels.map((ch) => fillChannel(ch, 1_000)));
    await waitFor(() => gone, 20_000, 'the portal to end the connection');
  });

  it('a client that never answers the close of a cut session loses its connection', async () => {
    const client = await newClient();
    // This client keeps every channel the portal closes: ssh2 answers a CHANNEL_CLOSE in this handler.
    const handlers = (client as unknown as { _protocol: { _handlers: Record<string, unknown> } })._protocol._handlers;
    handlers.CHANNEL_CLOSE = (): void => undefined;
    let gone = false;
    client.on('close', () => { gone = true; });
    client.on('error', () => undefined);
    await unreadSessions(client, 6);
    await waitFor(() => gone, 20_000, 'the portal to end the connection');
  });
});
