import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { Event, Session, SshKey } from '../../../lib/db/entities/index.js';
import { sshOptions } from '../../support/openssh.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { runProcess } from '../../support/process.js';
import { renderScreen } from '../../support/screen.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { Terminal } from '../../support/terminal.js';
import { waitFor } from '../../support/wait.js';
import { adminCommand, ownerShell, recordedAndClosed } from './owner.js';

/** How many of this process's file descriptors are open on `path`. */
function holdingFile(path: string): number {
  return readdirSync('/proc/self/fd').filter((f) => { try { return readlinkSync(`/proc/self/fd/${f}`) === path; } catch { return false; } }).length;
}

describe('live sessions on one node: watch, join, stop, replay, export (real OpenSSH in real terminals)', function () {
  this.timeout(120_000);
  let portal: Portal;
  let target: SshdTarget;
  let carol: string;
  let dave: string;
  const terms: Terminal[] = [];

  const open = (login: string, key: string, cols = 100, rows = 30, extra: string[] = []): Terminal => {
    const t = new Terminal([...extra, ...sshOptions(portal.port, key), `${login}@127.0.0.1`], cols, rows);
    terms.push(t);
    return t;
  };
  const admin = (...args: string[]): Promise<string> => adminCommand(portal, args);
  const enroll = async (name: string, ...flags: string[]): Promise<string> => {
    const invite = await admin('user', 'invite', `--name=${name}`, ...flags, `${name}@example.org`);
    const token = /invite:([A-Za-z0-9]+)'/.exec(invite)?.[1] ?? '';
    const key = portal.newKey(name);
    expect((await portal.ssh([], { login: `invite:${token}`, key })).code).to.equal(0);
    return key;
  };
  /** An owner's shell on web01, its session id once it shows a prompt. */
  const owner = (): Promise<{ term: Terminal; id: number }> => ownerShell(portal, (login, key) => open(login, key));
  const screen = (t: Terminal, cols = 100, rows = 30): Promise<string> => renderScreen(t.output, cols, rows).then((l) => l.join('\n'));
  const events = async (action: string): Promise<Event[]> => portal.app.db.manager.find(Event, { where: { domain: 'session', action } });

  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3' });
    const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    await admin('host', 'create', '--name=web01', `${target.user}@127.0.0.1:${target.port}`);
    carol = await enroll('carol');
    await admin('usergroup', 'create', '--name=ug-dave');
    dave = await enroll('dave', '--group=ug-dave');
    await admin('user', 'update', '--assign-role=admin', 'dave');
  });
  afterEach(() => { for (const t of terms.splice(0)) t.kill(); });
  after(async () => {
    await portal?.close();
    await target?.stop();
  });

  it('session ls --active: NODE and WATCHERS; a watcher sees the current screen, then live output; its keys never reach the session', async () => {
    const { term, id } = await owner();
    term.write('echo before-$((40+2))\r');
    await term.waitFor(/before-42/);
    const ls = await admin('session', 'ls', '--active');
    expect(ls).to.match(/^ID +USER +HOST +STATUS +START +DURATION +ERROR +COMMENT +NODE +WATCHERS\n/);
    expect(ls).to.match(new RegExp(`^${id} +admin +web01 +active .* test-node +0$`, 'm'));
    const w = open(`watch:${id}`, portal.adminKey, 100, 30, ['-t']);
    await waitFor(async () => (await screen(w)).includes('before-42'), 10_000, 'the snapshot');
    await term.waitFor(/admin started watching this session/);
    expect(await admin('session', 'ls', '--active')).to.match(new RegExp(`^${id} +.* test-node +1$`, 'm'));
    term.write('echo live-$((6*7))\r');
    await waitFor(async () => (await screen(w)).includes('live-42'), 10_000, 'live output');
    w.write('echo from-the-watcher-zzz\r');
    await new Promise((r) => setTimeout(r, 500));
    term.write('echo after-$((7*7))\r');
    await term.waitFor(/after-49/);
    expect(term.plain()).to.not.include('from-the-watcher-zzz');
    w.write('q');
    expect(await w.exitCode).to.equal(0);
    expect(w.plain()).to.include('left the session');
    await term.waitFor(/admin stopped watching this session/);
    expect((await events('watch-start')).length).to.be.at.least(1);
    await waitFor(async () => (await events('watch-stop')).length >= 1, 5_000, 'the watch-stop event');
    term.write('exit\r');
    expect(await term.exitCode).to.equal(0);
    // The notices are markers in the recording.
    const row = await portal.app.db.manager.findOneByOrFail(Session, { id });
    await waitFor(async () => (await portal.app.db.manager.findOneByOrFail(Session, { id })).status === 'closed', 5_000, 'the row to close');
    const cast = (JSON.parse((await portal.app.db.manager.findOneByOrFail(Session, { id })).recordings ?? '[]') as string[])[0];
    const marks = readFileSync(cast, 'utf8').split('\n').slice(1).filter(Boolean).map((l) => JSON.parse(l) as [number, string, string]).filter((e) => e[1] === 'm');
    expect(marks.map((m) => m[2])).to.deep.equal(['admin started watching this session', 'admin stopped watching this session']);
    expect(row.node).to.equal('test-node');
  });

  it("a watcher attaching to a full-screen program sees that program's screen", async () => {
    const { term, id } = await owner();
    term.write('seq 1 500 | less\r');
    await term.waitFor(/\b29\b/);
    const w = open(`watch:${id}`, portal.adminKey, 100, 30, ['-t']);
    await waitFor(async () => {
      const lines = (await screen(w)).split('\n');
      return lines[0] === '1' && lines[28] === '29';
    }, 10_000, "less's screen in the snapshot");
    term.write(' ');
    await waitFor(async () => (await screen(w)).split('\n')[0] === '30', 10_000, 'the next page, live');
    w.write('\x03');
    expect(await w.exitCode).to.equal(0);
    term.write('q');
    term.write('exit\r');
    expect(await term.exitCode).to.equal(0);
  });

  it("a joiner's keys run in the session; leaving with ~. never ends it; a smaller viewer gets one warning line", async () => {
    const { term, id } = await owner();
    const j = open(`join:${id}`, portal.adminKey, 100, 30, ['-t', '-o', 'EscapeChar=~']);
    await term.waitFor(/admin joined this session/);
    await new Promise((r) => setTimeout(r, 300));
    j.write('echo joined-$((5*5))\r');
    await term.waitFor(/joined-25/);
    await waitFor(async () => (await screen(j)).includes('joined-25'), 10_000, "the joiner's view");
    j.write('\r~.');
    expect(await j.exitCode).to.equal(255);
    await term.waitFor(/admin left this session/);
    term.write('echo still-$((3*3))\r');
    await term.waitFor(/still-9/);
    const small = open(`watch:${id}`, portal.adminKey, 60, 20, ['-t']);
    await small.waitFor(/warning: your terminal \(60x20\) is smaller than the session's \(100x30\)/);
    small.write('q');
    expect(await small.exitCode).to.equal(0);
    expect(small.plain().match(/warning:/g)).to.have.length(1);
    term.write('exit\r');
    expect(await term.exitCode).to.equal(0);
  });

  it('refuses, with one line and an event: watch without admin, join without an ACL, and non-PTY sessions', async () => {
    const { term, id } = await owner();
    const r1 = await portal.ssh([], { login: `watch:${id}`, key: carol, extra: ['-tt'] });
    expect([r1.code, r1.stderr.trim()]).to.deep.equal([1, 'error: watching a session needs the admin role']);
    const r2 = await portal.ssh([], { login: `join:${id}`, key: dave, extra: ['-tt'] });
    expect([r2.code, r2.stderr.trim()]).to.deep.equal([1, `error: joining session ${id} needs an ACL allowing you to host 'web01'`]);
    for (const args of [['session', 'stop', String(id)], ['session', 'replay', String(id)], ['session', 'export', String(id)]]) {
      const r = await portal.ssh(args, { login: 'carol', key: carol });
      expect([r.code, r.stderr], args.join(' ')).to.deep.equal([1, `error: session ${args[1]} needs the admin role\n`]);
    }
    const denies = await events('deny');
    expect(denies.length).to.be.at.least(5);
    // dave is an admin: watching needs no ACL.
    const w = open(`watch:${id}`, dave, 100, 30, ['-t']);
    await term.waitFor(/dave started watching this session/);
    w.write('q');
    expect(await w.exitCode).to.equal(0);
    term.write('exit\r');
    expect(await term.exitCode).to.equal(0);
    const before = await portal.app.db.manager.count(Session);
    const held = open('web01', portal.adminKey, 80, 24, ['-T']);
    held.write('echo no-pty-here\n');
    await held.waitFor(/no-pty-here/, 20_000);
    await waitFor(async () => (await portal.app.db.manager.count(Session)) > before, 5_000, 'the row');
    const plain = await portal.app.db.manager.findOneOrFail(Session, { where: { status: 'active' }, order: { id: 'DESC' } });
    const r3 = await portal.ssh([], { login: `watch:${plain.id}`, extra: ['-tt'] });
    expect(r3.code).to.equal(1);
    expect(r3.stderr).to.match(/only PTY sessions can be watched or joined/);
    const r4 = await portal.ssh([], { login: 'watch:nope', extra: ['-tt'] });
    expect([r4.code, r4.stderr.trim()]).to.deep.equal([1, "error: invalid session id 'nope'"]);
  });

  it('session stop: the owner reads who stopped it and why, exits 255 within 5 s; the row keeps the error; unknown or finished ids change nothing', async () => {
    const { term, id } = await owner();
    const unknown = await portal.ssh(['session', 'stop', String(id), '999999']);
    expect([unknown.code, unknown.stderr]).to.deep.equal([1, "error: unknown session '999999'\n"]);
    term.write('echo alive-$((2*2))\r');
    await term.waitFor(/alive-4/);
    const started = Date.now();
    await admin('session', 'stop', '--reason="maintenance window"', String(id));
    expect(await term.exitCode).to.equal(255);
    expect(Date.now() - started).to.be.below(5_000);
    expect(term.plain()).to.include('session terminated by admin: maintenance window');
    // The spec's line exactly, not wrapped as an `error:` line.
    expect(term.plain()).to.not.include('error: session terminated');
    await waitFor(async () => (await portal.app.db.manager.findOneByOrFail(Session, { id })).status === 'closed', 5_000, 'the row to close');
    expect((await portal.app.db.manager.findOneByOrFail(Session, { id })).errMsg).to.equal('session terminated by admin: maintenance window');
    const stops = await events('stop');
    expect(stops.some((e) => {
      const a = JSON.parse(e.args ?? '{}') as Record<string, unknown>;
      return a.session_id === id && a.by === 'admin';
    })).to.equal(true);
    const again = await portal.ssh(['session', 'stop', String(id)]);
    expect([again.code, again.stderr]).to.deep.equal([1, `error: session ${id} is not active (closed)\n`]);
  });

  it('session replay plays the recording with its timing (q quits); session export writes the asciicast file', async () => {
    const o = await owner();
    const { id } = o;
    const cast = await recordedAndClosed(portal.app.db.manager, o, 'echo replay-$((8*8))', /replay-64/);
    const exported = await portal.ssh(['session', 'export', String(id)]);
    expect(exported.code, exported.stderr).to.equal(0);
    const [header, ...rest] = exported.stdout.trim().split('\n');
    expect(JSON.parse(header)).to.include({ version: 2, width: 100, height: 30 });
    expect(rest.map((l) => JSON.parse(l) as unknown[]).filter((e) => e[1] === 'o').map((e) => e[2]).join('')).to.include('replay-64');
    expect(exported.stdout).to.equal(readFileSync(cast, 'utf8'));
    const played = await portal.ssh(['session', 'replay', '--speed=20', '--idle-limit=0.1', String(id)]);
    expect(played.code, played.stderr).to.equal(0);
    expect(played.stdout).to.include('replay-64');
    // Slowed down a thousand times, it would take minutes: q stops it at once.
    const t = new Terminal(['-t', ...sshOptions(portal.port, portal.adminKey), 'admin@127.0.0.1', 'session', 'replay', '--speed=0.001', String(id)]);
    terms.push(t);
    await new Promise((r) => setTimeout(r, 1_500));
    const quitAt = Date.now();
    t.write('q');
    expect(await t.exitCode).to.equal(0);
    expect(Date.now() - quitAt).to.be.below(3_000);
    expect((await events('replay')).length).to.be.at.least(2);
    expect((await events('export')).length).to.be.at.least(1);
    const bad = await portal.ssh(['session', 'replay', '--speed=fast', String(id)]);
    expect([bad.code, bad.stderr]).to.deep.equal([1, 'error: --speed expects a positive number up to 1000\n']);
  });

  it('a replay whose viewer went away during a long pause lets go of the recording at once; admin answered within 2 s', async () => {
    const o = await owner();
    const { id } = o;
    const cast = await recordedAndClosed(portal.app.db.manager, o, 'echo slow-$((7*7))', /slow-49/);
    const holding = (): number => holdingFile(cast);
    // A thousand times slower: the pause before the first output event lasts minutes.
    const viewer = new Terminal(['-t', ...sshOptions(portal.port, portal.adminKey), 'admin@127.0.0.1', 'session', 'replay', '--speed=0.001', String(id)]);
    terms.push(viewer);
    await waitFor(() => holding() === 1, 10_000, 'the replay to open the recording');
    await new Promise((r) => setTimeout(r, 500));
    viewer.kill();
    await waitFor(() => holding() === 0, 5_000, 'the recording closed');
    const t = Date.now();
    expect((await portal.ssh(['info'])).code).to.equal(0);
    expect(Date.now() - t).to.be.below(2_000);
  });

  it('an export whose reader went away mid-file (`| head`, the connection kept by a ControlMaster) lets go of the recording at once', async () => {
    const o = await owner();
    const { id } = o;
    const cast = await recordedAndClosed(portal.app.db.manager, o, 'echo big-$((6*6))', /big-36/);
    // Far more than the channel's window and every buffer on the way: the export must be mid-file when its reader leaves.
    const line = `[1.0, "o", "${'x'.repeat(1000)}"]\n`;
    appendFileSync(cast, line.repeat(16 * 1024));
    // Through a master connection that stays: only the export's channel closes, as with OpenSSH's ControlMaster.
    const control = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${portal.dir}/cm-%C`, '-o', 'ControlPersist=30'];
    const ssh = `ssh ${[...control, ...sshOptions(portal.port, portal.adminKey)].join(' ')} admin@127.0.0.1`;
    try {
      const r = await runProcess('sh', ['-c', `${ssh} session export ${id} | head -c 1000 > /dev/null`]);
      expect(r.code, r.stderr).to.equal(0);
      await waitFor(() => holdingFile(cast) === 0, 5_000, 'the recording closed');
    } finally {
      await runProcess('sh', ['-c', `${ssh} -O exit 2>/dev/null`]);
    }
    // A client whose connection dies mid-export (killed, never reading): ssh2 closes the channel without ending it.
    const killed = spawn('ssh', [...sshOptions(portal.port, portal.adminKey), 'admin@127.0.0.1', 'session', 'export', String(id)], { stdio: ['ignore', 'pipe', 'ignore'] });
    killed.stdout.pause();
    await waitFor(() => holdingFile(cast) === 1, 10_000, 'the export to open the recording');
    await new Promise((r) => setTimeout(r, 500));
    killed.kill('SIGKILL');
    await waitFor(() => holdingFile(cast) === 0, 5_000, 'the recording closed after the client died');
    const t = Date.now();
    expect((await portal.ssh(['info'])).code).to.equal(0);
    expect(Date.now() - t).to.be.below(2_000);
  });
});
