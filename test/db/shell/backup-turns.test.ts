/**
 * `config backup` takes turns on a node: each holds the configuration while
 * it converts and writes it, so at most backupLimits.running run at once, a
 * bounded line waits for a turn, and a backup whose client stopped reading
 * (or takes a write now and then) gives its turn up (backupLimits.least).
 */
import { expect } from 'chai';
import { PassThrough, Readable } from 'node:stream';
import { Event } from '../../../lib/db/entities/index.js';
import { backupLimits } from '../../../lib/shell/commands/config.js';
import { runShell } from '../../../lib/shell/index.js';
import { openShell, type ShellFixture } from './harness.js';

/** A backup whose client reads nothing (a channel whose window is full): its output is never taken. */
function stalledBackup(f: ShellFixture): { output: PassThrough; errors: () => string; code: Promise<number> } {
  // A channel's input, ended by the client without closing (a PassThrough would close itself after its end).
  const input = new Readable({ read: () => undefined, autoDestroy: false });
  input.push(null);
  const output = new PassThrough({ highWaterMark: 1024 });
  const errorOutput = new PassThrough();
  let errors = '';
  errorOutput.setEncoding('utf8').on('data', (s: string) => { errors += s; });
  const code = f.identity('admin').then((who) => runShell(f.deps, who, { input, output, errorOutput, pty: null, onResize: () => undefined }, 'config backup --indent'));
  return { output, errors: () => errors, code };
}

const until = async (what: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('shell config backup takes turns on a node (sqlite3)', function () {
  let f: ShellFixture;
  const saved = { ...backupLimits };
  before(async function () {
    f = await openShell(this, 'sqlite3');
    // A document of some size: more than one write of paced output (64 KiB), most of it audit trail.
    for (let i = 0; i < 4; i++) await f.run(`host create --name h${i} root@h${i}.example.org`);
    const at = new Date('2024-01-01T00:00:00Z');
    await f.db.manager.createQueryBuilder().insert().into(Event)
      .values(Array.from({ length: 300 }, (_, k) => ({ createdAt: at, updatedAt: at, domain: 'bulk', action: 'fill', entity: `e${k}`, args: JSON.stringify({ pad: 'p'.repeat(500) }) }))).execute();
  });
  after(async () => { Object.assign(backupLimits, saved); await f?.close(); });
  afterEach(() => { Object.assign(backupLimits, saved); });

  it('runs one more once a turn is free, refuses past the line, and stops a backup whose client took nothing within least.ms', async () => {
    Object.assign(backupLimits, { running: 1, waiting: 1, least: { ms: 1_000, chars: 1024 * 1024 } });
    const stalled = stalledBackup(f);
    await until(() => stalled.output.writableNeedDrain);
    const waiting = f.run('config backup');
    await new Promise((r) => setTimeout(r, 50));
    const refused = await f.run('config backup');
    expect([refused.code, refused.stdout, refused.stderr]).to.deep.equal([1, '', 'error: too many backups on this node (1 running, 1 waiting): try again later\n']);
    // The stalled one gives its turn up; the waiting one then runs whole.
    expect(await stalled.code).to.equal(1);
    expect(stalled.errors()).to.equal('error: backup stopped: its client took less than 1024 KiB of it in 1 s\n');
    const w = await waiting;
    expect(w.code, w.stderr).to.equal(0);
    expect(w.stderr).to.equal('note: at most 1 backups run at once on this node; this one waits for a turn (0 ahead of it in line)\n');
    expect((JSON.parse(w.stdout) as { hosts: unknown[] }).hosts).to.have.length(4);
  });

  it('lets a waiter whose client left go, and gives the turn of a client that left to the next one', async () => {
    Object.assign(backupLimits, { running: 1, waiting: 1, least: { ms: 60_000, chars: 1024 * 1024 } });
    const holder = stalledBackup(f);
    await until(() => holder.output.writableNeedDrain);
    const leaver = stalledBackup(f);
    await until(() => leaver.errors().startsWith('note:'));
    leaver.output.destroy();
    expect(await leaver.code).to.equal(0);
    // Its place in line is free again: the next one waits rather than being refused.
    const next = f.run('config backup');
    await new Promise((r) => setTimeout(r, 50));
    holder.output.destroy();
    expect(await holder.code).to.equal(0);
    const n = await next;
    expect(n.code, n.stderr).to.equal(0);
    expect((JSON.parse(n.stdout) as { hosts: unknown[] }).hosts).to.have.length(4);
  });
});
