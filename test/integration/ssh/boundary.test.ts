/**
 * lib/ssh, the one ssh2 session boundary, driven by a real ssh2 client over
 * loopback: requests arrive as the typed union, and endChannel ends a channel
 * the same way on every path (last line, all output, then the exit status or
 * signal, then EOF and CLOSE).
 */
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { ServerChannel } from 'ssh2';
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { silentLogger } from '../../../lib/log.js';
import { onChannelOpen } from '../../../lib/ssh/channel-opens.js';
import { endChannel, type ChannelEnd } from '../../../lib/ssh/exit.js';
import { onSessionRequest, type SessionRequestType } from '../../../lib/ssh/session-requests.js';
import { Calls } from '../../support/must-call.js';

const hostKey = generateKeyPair('ed25519', 256, 'boundary').privateKey;

/** What the server does with an exec: the command names a scenario. */
type Scenario = (ch: ServerChannel, command: string) => Promise<void>;

interface Outcome { stdout: Buffer; stderr: string; code: number | null | undefined; signal: string | undefined; seen: SessionRequestType[] }

describe('ssh boundary: typed requests and endChannel (real ssh2 client)', function () {
  let server: ssh2.Server;
  let port = 0;
  let scenario: Scenario = () => Promise.resolve();
  const seen: SessionRequestType[] = [];

  before(async () => {
    server = new ssh2.Server({ hostKeys: [hostKey] }, (conn) => {
      conn.on('error', () => undefined);
      conn.on('authentication', (ctx) => ctx.accept());
      conn.on('ready', () => onChannelOpen(conn, (open) => {
        if (open.type !== 'session') { open.reject(); return; }
        const session = open.accept();
        if (!session) return;
        onSessionRequest(session, (r) => {
          seen.push(r.type);
          if (r.type === 'exec') {
            const ch = r.accept();
            if (ch) void scenario(ch, r.command);
          } else if (r.type === 'shell' || r.type === 'subsystem') r.reject?.();
          else r.accept?.();
        });
      }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** Runs `command` with a fresh ssh2 client (with a pty and an env request first when `pty`). */
  function run(command: string, pty = false, closeAtOnce = false): Promise<Outcome> {
    seen.length = 0;
    return new Promise((resolve, reject) => {
      const c = new ssh2.Client();
      c.on('error', reject);
      c.on('ready', () => {
        c.exec(command, { pty, env: pty ? { LANG: 'C' } : undefined }, (err, ch) => {
          if (err) { reject(err); return; }
          const out: Buffer[] = [];
          let stderr = '';
          let code: number | null | undefined;
          let signal: string | undefined;
          ch.on('data', (d: Buffer) => out.push(d));
          ch.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
          ch.on('exit', (c0: number | null, s?: string) => { code = c0; signal = s; });
          ch.on('close', () => { c.end(); resolve({ stdout: Buffer.concat(out), stderr, code, signal, seen: [...seen] }); });
          if (closeAtOnce) ch.close();
        });
      });
      c.connect({ host: '127.0.0.1', port, username: 'u', password: 'p', hostVerifier: () => true });
    });
  }

  const end = (e: ChannelEnd): Scenario => async (ch) => endChannel(ch, e, silentLogger);

  it('the exit status follows every byte written before it, even when the client reads slowly', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    scenario = async (ch) => {
      ch.write(big);
      await endChannel(ch, { exit: { code: 7 } }, silentLogger);
    };
    const r = await run('big');
    expect([r.stdout.length, r.code]).to.deep.equal([big.length, 7]);
  });

  const cases: { name: string; end: ChannelEnd; pty?: boolean; want: Partial<Outcome> }[] = [
    { name: 'an error line, then the status', end: { exit: { code: 3 }, line: 'error: no such host' }, want: { stderr: 'error: no such host\n', code: 3 } },
    { name: 'a terminal\'s end of line', end: { exit: { code: 1 }, line: 'error: denied', eol: '\r\n' }, pty: true, want: { stderr: 'error: denied\r\n', code: 1 } },
    { name: 'an exit signal', end: { exit: { code: null, signal: 'SIGTERM' } }, want: { code: null, signal: 'SIGTERM' } },
    { name: 'no exit status at all (the target vanished)', end: {}, want: { code: undefined, signal: undefined } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      scenario = end(c.end);
      const r = await run('x', c.pty);
      expect({ stderr: r.stderr, code: r.code, signal: r.signal }).to.include(c.want);
    });
  }

  it('requests arrive as the typed union, in order', async () => {
    scenario = end({ exit: { code: 0 } });
    const r = await run('x', true);
    expect(r.seen).to.deep.equal(['env', 'pty-req', 'exec']);
  });

  it('a channel the client already closed ends quietly, at once', async () => {
    const calls = new Calls();
    const ended = calls.mustCall(undefined, 1, 'endChannel settled');
    scenario = async (ch) => {
      // Read, as every real path does: ssh2 emits 'close' once the channel's input was consumed.
      ch.resume();
      await new Promise((resolve) => ch.once('close', resolve));
      await endChannel(ch, { exit: { code: 0 }, line: 'error: too late' }, silentLogger);
      ended();
    };
    await run('x', false, true);
    await calls.done(5_000);
  });
});
