/**
 * `config backup` reads the audit trail and the sessions as its client takes
 * the document, after its snapshot of the rest: what a restore (on this node
 * or another) or an open transaction does meanwhile must never end as a
 * complete-looking document of two databases, or of uncommitted rows.
 */
import { expect } from 'chai';
import { PassThrough, Readable } from 'node:stream';
import { applyRestore, completePlan, parseBackupText } from '../../../lib/db/backup/restore.js';
import type { BackupPlan } from '../../../lib/db/backup/plan.js';
import { openDatabase, type Database } from '../../../lib/db/database.js';
import { Event } from '../../../lib/db/entities/index.js';
import { backupChecks } from '../../../lib/shell/backup-checks.js';
import { runShell } from '../../../lib/shell/index.js';
import { drivers } from '../../support/databases.js';
import { openShell, type ShellFixture } from './harness.js';

/** A backup whose client reads nothing until `read()`; then all of it. */
function pausedBackup(f: ShellFixture): { read(): void; result: Promise<{ code: number; stdout: string; stderr: string }> } {
  // A channel's input, ended by the client without closing (a PassThrough would close itself after its end).
  const input = new Readable({ read: () => undefined, autoDestroy: false });
  input.push(null);
  const output = new PassThrough({ highWaterMark: 1024 });
  const errorOutput = new PassThrough();
  let stdout = '';
  let stderr = '';
  errorOutput.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const code = f.identity('admin').then((who) => runShell(f.deps, who, { input, output, errorOutput, pty: null, onResize: () => undefined }, 'config backup'));
  return {
    read: () => { output.setEncoding('utf8').on('data', (s: string) => { stdout += s; }); },
    result: code.then(async (c) => { await new Promise((r) => setImmediate(r)); return { code: c, stdout, stderr }; }),
  };
}

const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

for (const driver of drivers) {
  describe(`shell config backup while the database changes under it, on ${driver}`, function () {
    let f: ShellFixture;
    let small: string;
    const at = new Date('2024-01-01T00:00:00Z');
    const seed = async (): Promise<number> => {
      await f.db.manager.createQueryBuilder().insert().into(Event)
        .values(Array.from({ length: 600 }, (_, k) => ({ createdAt: at, updatedAt: at, domain: 'bulk', action: 'fill', entity: `e${k}`, args: JSON.stringify({ pad: 'p'.repeat(300) }) }))).execute();
      return f.db.manager.count(Event);
    };
    before(async function () {
      f = await openShell(this, driver);
      await f.run('host create --name web root@web.example.org');
      small = (await f.run('config backup')).stdout;
    });
    after(async () => { await f?.close(); });

    it('fails, its document cut, when a restore replaced the history while it was written (it used to end complete-looking, the trail cut)', async () => {
      await seed();
      const b = pausedBackup(f);
      // The snapshot is taken and the first write waits for the client.
      await new Promise((r) => setTimeout(r, 300));
      const r = await f.run('config restore --confirm', { input: small });
      expect(r.code, r.stderr).to.equal(0);
      b.read();
      const done = await b.result;
      expect(done.code).to.equal(1);
      expect(done.stderr).to.equal('error: the database was restored while this backup was written: the backup is incomplete; take it again\n');
      expect(done.stdout.length).to.be.above(0);
      expect(parses(done.stdout)).to.equal(false);
      // The next backup is whole.
      const next = await f.run('config backup');
      expect([next.code, parses(next.stdout)]).to.deep.equal([0, true]);
    });

    it('never shows rows of a transaction that is not committed: a deletion rolled back leaves the backup whole', async () => {
      const total = await seed();
      const b = pausedBackup(f);
      await new Promise((r) => setTimeout(r, 300));
      let reading: Promise<void> = Promise.resolve();
      await f.db.transaction(async (m) => {
        await m.createQueryBuilder().delete().from(Event).execute();
        b.read();
        reading = new Promise((r) => setTimeout(r, 300));
        await reading;
        throw new Error('rolled back');
      }).catch((err: unknown) => { if (!(err instanceof Error) || err.message !== 'rolled back') throw err; });
      const done = await b.result;
      expect(done.code, done.stderr).to.equal(0);
      expect((JSON.parse(done.stdout) as { events: unknown[] }).events).to.have.length(total);
    });
  });
}

describe('shell config backup while two nodes restore at once (mysql)', function () {
  let f: ShellFixture;
  let other: Database;
  before(async function () {
    f = await openShell(this, 'mysql');
    other = await openDatabase(f.testDb.config, '0123456789abcdef');
  });
  after(async () => { await other?.close(); await f?.close(); });

  it('fails when the second restore commits after its snapshot of the first (a count read by both would have come out the same)', async () => {
    const at = new Date('2024-01-01T00:00:00Z');
    await f.run('host create --name a root@a.example.org');
    await f.db.manager.createQueryBuilder().insert().into(Event)
      .values(Array.from({ length: 600 }, (_, k) => ({ createdAt: at, updatedAt: at, domain: 'AAA', action: 'fill', entity: `a${k}`, args: JSON.stringify({ pad: 'p'.repeat(300) }) }))).execute();
    const docA = (await f.run('config backup')).stdout;
    const plan = async (db: Database, text: string): Promise<BackupPlan> => completePlan(parseBackupText(text, new Date(), backupChecks), { cipher: db.cipher, storeClear: false, now: new Date(), inviteTtlMs: 86_400_000, checks: backupChecks });
    const [planA, planB] = [await plan(f.db, docA), await plan(other, docA.replaceAll('"AAA"', '"BBB"'))];
    let commitA = (): void => undefined;
    let written = (): void => undefined;
    const aWritten = new Promise<void>((r) => { written = r; });
    const restoreA = f.db.transaction(async (m) => { await applyRestore(m, planA); written(); await new Promise<void>((r) => { commitA = r; }); });
    await aWritten;
    // The other node's restore reads the generation while the first is still open, then waits for its locks.
    const restoreB = other.transaction(async (m) => { await applyRestore(m, planB); });
    await new Promise((r) => setTimeout(r, 300));
    commitA();
    await restoreA;
    const b = pausedBackup(f);
    await new Promise((r) => setTimeout(r, 300));
    await restoreB;
    b.read();
    const done = await b.result;
    expect([done.code, done.stderr]).to.deep.equal([1, 'error: the database was restored while this backup was written: the backup is incomplete; take it again\n']);
    expect(parses(done.stdout)).to.equal(false);
  });
});

