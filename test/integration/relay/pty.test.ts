import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { tempDir, type TempDir } from '../../support/keys.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { hopTo, relayOptions, run, sshArgs, startFront, suiteKeys, type Front, type Observed } from './harness.js';
import { Terminal } from '../../support/terminal.js';

describe('relay: PTY sessions, recording, idle timeout', function () {
  let tmp: TempDir;
  let keys: ReturnType<typeof suiteKeys>;
  let target: SshdTarget;
  let front: Front;
  let observed: Observed;
  let noTty: SshdTarget;

  before(async function () {
    requireSshd(this);
    tmp = tempDir();
    keys = suiteKeys(tmp.path);
    [target, noTty] = await Promise.all([
      startSshd({ authorizedKeys: [keys.portal.publicKey] }),
      startSshd({ authorizedKeys: [keys.portal.publicKey], extraConfig: ['PermitTTY no'] }),
    ]);
    let n = 0;
    front = await startFront(keys.front, (login) => {
      const mode = login === 'input-only' ? 'input' : login === 'norec' ? 'disabled' : 'everything';
      const plan = { chain: [hopTo(login === 'notty' ? noTty : target, keys.portal)], recording: { mode, dir: `${tmp.path}/rec`, baseName: `session-${++n}`, user: 'bob', host: 'web' } } as const;
      return relayOptions(plan, observed, login === 'idle' ? 700 : 0);
    });
  });
  beforeEach(() => { observed = { events: [], summaries: [] }; });
  after(async () => {
    await front?.close();
    await Promise.all([target?.stop(), noTty?.stop()]);
    tmp?.remove();
  });

  async function lastSummary(): Promise<NonNullable<Observed['summaries'][number]>> {
    await front.relays[front.relays.length - 1]?.closed;
    const s = observed.summaries[0];
    if (!s) throw new Error('no summary');
    return s;
  }

  it('allocates a PTY of the client terminal size, follows live resizes and records the session', async () => {
    const term = new Terminal(sshArgs(front, keys.user, 'web'), 100, 30);
    try {
      await term.waitFor(/\$ $/);
      term.write('stty size\r');
      await term.waitFor(/30 100/);
      term.resize(120, 40);
      await new Promise((r) => setTimeout(r, 200));
      term.write('stty size; echo recorded-$((6*7))\r');
      await term.waitFor(/40 120/);
      await term.waitFor(/recorded-42/);
      term.write('exit 7\r');
      expect(await term.exitCode).to.equal(7);
    } finally {
      term.kill();
    }
    const summary = await lastSummary();
    const cast = summary.recordings.find((p) => p.endsWith('.cast'));
    expect(cast).to.be.a('string');
    const lines = readFileSync(cast as string, 'utf8').trim().split('\n');
    const header = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(header).to.include({ version: 2, width: 100, height: 30 });
    const events = lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
    const out = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
    const input = events.filter((e) => e[1] === 'i').map((e) => e[2]).join('');
    expect(out).to.include('recorded-42');
    expect(input).to.include('stty size');
    expect(events.some((e) => e[1] === 'r' && e[2] === '120x40')).to.equal(true);
    expect(observed.events.some((e) => e.type === 'recording-started')).to.equal(true);
  });

  it('goes on without a PTY (with a warning) when the target refuses one, like OpenSSH', async () => {
    const r = await run('ssh', ['-tt', ...sshArgs(front, keys.user, 'notty', 'echo no-tty-here; test -t 0 || echo not-a-tty')]);
    expect(r.stdout.toString()).to.equal('no-tty-here\nnot-a-tty\n');
    expect(r.stderr).to.include('warning: the target refused PTY allocation');
    expect(r.code).to.equal(0);
    const summary = await lastSummary();
    expect(summary.recordings.filter((p) => p.endsWith('.cast'))).to.deep.equal([]);
  });

  it('records only input in `input` mode', async () => {
    const r = await run('ssh', ['-tt', ...sshArgs(front, keys.user, 'input-only', 'echo only-output')], { input: 'typed\n' });
    expect(r.stdout.toString()).to.include('only-output');
    const summary = await lastSummary();
    const cast = summary.recordings.find((p) => p.endsWith('.cast')) as string;
    const events = readFileSync(cast, 'utf8').split('\n').slice(1).filter(Boolean).map((l) => JSON.parse(l) as unknown[]);
    expect(events.length).to.be.greaterThan(0);
    expect(events.every((e) => e[1] === 'i')).to.equal(true);
    expect(events.map((e) => e[2]).join('')).to.include('typed');
  });

  it('writes no recording when disabled', async () => {
    const r = await run('ssh', ['-tt', ...sshArgs(front, keys.user, 'norec', 'echo x')]);
    expect(r.code).to.equal(0);
    const summary = await lastSummary();
    expect(summary.recordings).to.deep.equal([]);
  });

  it('closes an idle connection with a message', async () => {
    const started = Date.now();
    // `cat` with a silent, open stdin: idle both ways, and it ends with the connection.
    const r = await run('ssh', sshArgs(front, keys.user, 'idle', 'exec cat'), { timeoutMs: 8000, holdStdin: true });
    expect(Date.now() - started).to.be.below(5000);
    expect(r.stderr).to.match(/error: idle timeout/);
    expect(r.code).to.equal(255);
    const summary = await lastSummary();
    expect(summary.error).to.match(/idle timeout/);
    expect(observed.events.some((e) => e.type === 'idle-timeout')).to.equal(true);
  });
});
