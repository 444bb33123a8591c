import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { tempDir, type TempDir } from '../../support/keys.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { hopTo, relayOptions, sshArgs, startFront, suiteKeys, type Front, type Observed } from './harness.js';

/** Listens on the first free X display port (6000 + n) and answers one connection. */
async function fakeDisplay(onConn: (s: Socket) => void): Promise<{ server: Server; display: number }> {
  for (let n = 40; n < 100; n++) {
    const server = createServer(onConn);
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(6000 + n, '127.0.0.1', () => resolve(true));
    });
    if (ok) return { server, display: n };
  }
  throw new Error('no free X display port');
}

/** The X11 connection-setup packet (little endian) carrying a MIT-MAGIC-COOKIE-1. */
function setupPacket(cookieHex: string): Buffer {
  const name = Buffer.from('MIT-MAGIC-COOKIE-1');
  const data = Buffer.from(cookieHex, 'hex');
  const head = Buffer.alloc(12);
  head.write('l', 0);
  head.writeUInt16LE(11, 2);
  head.writeUInt16LE(0, 4);
  head.writeUInt16LE(name.length, 6);
  head.writeUInt16LE(data.length, 8);
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  return Buffer.concat([head, pad(name), pad(data)]);
}

describe('relay: X11 forwarding (-Y)', function () {
  let tmp: TempDir;
  let keys: ReturnType<typeof suiteKeys>;
  let target: SshdTarget;
  let front: Front;
  let observed: Observed;

  before(async function () {
    requireSshd(this);
    tmp = tempDir();
    keys = suiteKeys(tmp.path);
    target = await startSshd({ authorizedKeys: [keys.portal.publicKey] });
    front = await startFront(keys.front, () => relayOptions({ chain: [hopTo(target, keys.portal)], recording: { mode: 'disabled', dir: tmp.path, baseName: 'x' } }, observed));
  });
  beforeEach(() => { observed = { events: [], summaries: [] }; });
  after(async () => {
    await front?.close();
    await target?.stop();
    tmp?.remove();
  });

  it('relays an X11 channel opened by the target to the client display', async () => {
    let received = Buffer.alloc(0);
    const x = await fakeDisplay((s) => {
      s.on('data', (d: Buffer) => {
        received = Buffer.concat([received, d]);
        if (received.length >= 48) s.end('X11-REPLY');
      });
      s.on('error', () => undefined);
    });
    try {
      // The remote side prints its DISPLAY and cookie, then sends one setup packet (read from stdin) to its display
      // and keeps its side open a moment: OpenSSH closes an X11 channel as soon as it sees EOF from the X client.
      const script = 'echo "$DISPLAY"; xauth list "$DISPLAY" | head -n 1; p=$((6000 + $(echo "$DISPLAY" | sed "s/.*:\\([0-9]*\\).*/\\1/"))); (head -c 48; sleep 1) | socat -t 5 - TCP:127.0.0.1:$p';
      const child = spawn('ssh', ['-Y', ...sshArgs(front, keys.user, 'web', script)], {
        env: { ...process.env, DISPLAY: `127.0.0.1:${x.display}`, XAUTHORITY: `${tmp.path}/xauth` },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => { err += s; });
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      let sent = false;
      child.stdout.on('data', (s: string) => {
        out += s;
        const lines = out.split('\n');
        if (!sent && lines.length >= 3) {
          sent = true;
          const cookie = (lines[1] ?? '').trim().split(/\s+/)[2] ?? '';
          child.stdin.end(setupPacket(cookie));
        }
      });
      const code = await exited;
      clearTimeout(timer);
      expect(code, `${out}\n${err}`).to.equal(0);
      expect(out.split('\n')[0]).to.match(/^localhost:\d+\.0$/);
      expect(out, `stderr=${err} received=${received.length}`).to.include('X11-REPLY');
      expect(received.length).to.equal(48);
      expect(received.subarray(12, 30).toString()).to.equal('MIT-MAGIC-COOKIE-1');
      await front.relays[front.relays.length - 1]?.closed;
      expect(observed.events.some((e) => e.type === 'forward-opened' && e.kind === 'x11')).to.equal(true);
    } finally {
      await new Promise((r) => x.server.close(r));
    }
  });
});
