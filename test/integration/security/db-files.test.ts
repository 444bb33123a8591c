/**
 * Issue 14, items 7 and 10: the SQLite files are the portal's alone (0600 in a
 * 0700 directory it creates), an exposed existing file is warned about at
 * start, and a weak SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN stops the server
 * before anything is written.
 */
import { expect } from 'chai';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../../../lib/app.js';
import type { TestDb } from '../../support/databases.js';
import { startApp } from '../../support/portal.js';
import { runProcess } from '../../support/process.js';
import { tempDir, type TempDir } from '../../support/tmp.js';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

function sqliteDb(path: string): TestDb {
  return { config: { driver: 'sqlite3', path }, flags: { driver: 'sqlite3', conn: path }, drop: () => Promise.resolve() };
}

describe('security: database files are private', function () {
  this.timeout(60_000);
  let dir: TempDir;
  let app: App | undefined;
  beforeEach(() => { dir = tempDir(); });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    dir.remove();
  });

  it('creates the directory 0700 and the database, -wal and -shm 0600', async () => {
    const data = join(dir.path, 'var', 'sshportal');
    const path = join(data, 'sshportal.db');
    app = await startApp(sqliteDb(path), { logsLocation: join(dir.path, 'log') });
    // Bootstrap wrote the host key: the WAL and its index exist while the portal runs.
    expect(existsSync(`${path}-wal`) && existsSync(`${path}-shm`)).to.equal(true);
    expect(modeOf(data).toString(8)).to.equal('700');
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(modeOf(f).toString(8), f).to.equal('600');
  });

  it('warns at start about an existing database file other users can read', async () => {
    const path = join(dir.path, 'sshportal.db');
    app = await startApp(sqliteDb(path), { logsLocation: join(dir.path, 'log') });
    await app.close();
    chmodSync(path, 0o644);
    const logs: string[] = [];
    app = await startApp(sqliteDb(path), { logsLocation: join(dir.path, 'log'), logs });
    const warnings = logs.filter((l) => l.includes('database file readable by other local users'));
    expect(warnings, logs.join('\n')).to.have.length.of.at.least(1);
    expect(warnings[0]).to.match(/ warn /).and.include(`file=${path}`).and.include('mode=0644');
    // The portal does not change a mode an operator chose; it says so once per file.
    expect(modeOf(path).toString(8)).to.equal('644');
  });

  it('stays quiet about a 0600 database file', async () => {
    const path = join(dir.path, 'sshportal.db');
    app = await startApp(sqliteDb(path), { logsLocation: join(dir.path, 'log') });
    await app.close();
    const logs: string[] = [];
    app = await startApp(sqliteDb(path), { logsLocation: join(dir.path, 'log'), logs });
    expect(logs.filter((l) => l.includes('readable by other'))).to.deep.equal([]);
  });
});

describe('security: the first admin invite token must be strong', function () {
  this.timeout(60_000);
  // Each case starts a real process (~4 s here); the full table is in the config unit test.
  const cases = ['x', 'short token'];
  for (const token of cases) {
    it(`\`sshportal server\` refuses SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN='${token}': one line, exit 2, nothing written`, async () => {
      const dir = tempDir();
      try {
        const db = join(dir.path, 'sshportal.db');
        const r = await runProcess(process.execPath, ['--import', 'tsx', 'cmd/sshportal.ts', 'server', '-b', '127.0.0.1:0',
          '--db-conn', db, '--logs-location', join(dir.path, 'log')], { env: { ...process.env, SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: token } });
        expect([r.code, r.stdout]).to.deep.equal([2, '']);
        expect(r.stderr).to.equal('error: invalid SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: 10 to 128 letters, digits, - or _\n');
        expect(existsSync(db)).to.equal(false);
      } finally {
        dir.remove();
      }
    });
  }
});
