import { expect } from 'chai';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import ssh2 from 'ssh2';
// ssh2's own ed25519 generation makes an unparsable private key about once in 300: this one retries.
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { END_GRACE_MS } from '../../../lib/ssh/end-client.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { waitFor } from '../../support/wait.js';

/** Whether this process holds a TCP socket whose local port is `port` (Linux: /proc/net/tcp and our fds). */
function holdsLocalPort(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && f[1].endsWith(`:${hex}`) && f[9] !== '0') inodes.add(f[9]);
  }
  for (const fd of readdirSync('/proc/self/fd')) {
    let link: string;
    try { link = readlinkSync(`/proc/self/fd/${fd}`); } catch { continue; }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m && inodes.has(m[1])) return true;
  }
  return false;
}

/**
 * A target that stops reading its socket once it answered a command: it
 * never sees the portal leave, so it never closes its side. ssh2 alone only
 * half-closes (its destroy() does nothing after end()): the portal kept such
 * a connection, and could not exit while it lasted.
 */
describe('security: a target that never closes its side of a finished session', function () {
  let portal: Portal;
  let tcp: Server;
  /** The target's sockets (the peer port of each is the portal's). */
  const sides: Socket[] = [];
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3' });
    const ssh = new ssh2.Server({ hostKeys: [generateKeyPair('ed25519', 256).privateKey] }, (client) => {
      client.on('error', () => undefined);
      client.on('authentication', (ctx) => ctx.accept());
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec) => {
          const ch = acceptExec();
          // Deaf from now on: the portal's disconnect and FIN are never read.
          sides.at(-1)?.pause();
          ch.write('done\n');
          ch.exit(0);
          ch.end();
        });
      });
    });
    tcp = createServer((s) => { s.on('error', () => undefined); sides.push(s); ssh.injectSocket(s); });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
    const r = await portal.ssh(['host', 'create', '--name=deaf', `x@127.0.0.1:${(tcp.address() as AddressInfo).port}`]);
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => {
    await portal?.close();
    for (const s of sides) s.destroy();
    tcp?.close();
  });

  it(`the portal lets go of the upstream connection within ${END_GRACE_MS / 1000} s of the session's end`, async () => {
    const r = await portal.ssh(['true'], { login: 'deaf' });
    expect(r.code, `${r.stdout} ${r.stderr}`).to.equal(0);
    expect(r.stdout).to.equal('done\n');
    const side = sides.at(-1);
    const port = side?.remotePort;
    if (port === undefined) throw new Error('the target saw no connection');
    // Right after the session the portal has only half-closed it (the target still holds its side).
    expect(holdsLocalPort(port), 'the portal holds the upstream socket right after the session').to.equal(true);
    await waitFor(() => !holdsLocalPort(port), END_GRACE_MS + 3_000, 'the portal to let go of the upstream socket');
    expect(side?.destroyed, 'the target side is still open (it never read the end)').to.equal(false);
  });
});
