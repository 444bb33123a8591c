/**
 * A portal database with a real audit trail for the tamper tests: bootstrapped,
 * signing checkpoints every 5 events, a few shell-like and bastion-like events,
 * and closed sessions whose recordings were written by the real recorder.
 */
import { join } from 'node:path';
import { runVerify } from '../../../cmd/verify.js';
import { appendFileSync } from 'node:fs';
import { addRecording, closeSession, openSession } from '../../../lib/db/queries/sessions.js';
import { bootstrap } from '../../../lib/db/bootstrap.js';
import { setChainSigner } from '../../../lib/db/chain/append.js';
import { loadSigner } from '../../../lib/db/chain/signer.js';
import { openDatabase, type Database } from '../../../lib/db/database.js';
import { Host, User } from '../../../lib/db/entities/index.js';
import { recordEvent } from '../../../lib/db/events.js';
import { silentLogger } from '../../../lib/log.js';
import { CastRecorder } from '../../../lib/recording/cast-recorder.js';
import { freshDb, type TestDb, type drivers } from '../../support/databases.js';
import { tempDir, type TempDir } from '../../support/tmp.js';

/** A database with an audit trail and its recordings. */
export interface AuditFixture {
  db: Database;
  testDb: TestDb;
  logs: TempDir;
  /** Paths of the recordings of session `sessions[i]`. */
  sessions: { id: number; files: string[] }[];
  /** A session that never closed (its node crashed), its recording grown past its last checkpoint. */
  live: { id: number; files: string[] };
  /** Runs `sshportal verify` on it; `extra` adds flags. */
  verify(extra?: { publicKey?: string; logsLocation?: string; head?: string }): Promise<{ code: number; text: string }>;
  close(): Promise<void>;
}

/** Opens a database (as a portal node named `node`) with its audit signer registered. */
export async function openNode(testDb: TestDb, node: string, every = 5, aesKey: string | null = '0123456789abcdef'): Promise<Database> {
  const db = await openDatabase(testDb.config, aesKey);
  await bootstrap(db, { adminInviteToken: null });
  setChainSigner(db.ds, await loadSigner(db, node, every));
  return db;
}

async function recordSession(db: Database, dir: string, userId: number, hostId: number, lines: number): Promise<{ id: number; files: string[] }> {
  const s = await openSession(db.manager, { userId, hostId, node: 'a', remoteAddr: '127.0.0.1:1' });
  await recordEvent(db.manager, { authorId: userId, domain: 'session', action: 'connect', entity: 'web', args: { session_id: s.id } });
  const rec = new CastRecorder({ path: join(dir, `session-${s.id}.cast`), mode: 'everything', width: 80, height: 24, log: silentLogger });
  for (let i = 0; i < lines; i++) rec.output(Buffer.from(`line ${i} of session ${s.id}\r\n`));
  const sum = await rec.close();
  const seals = [{ path: sum.path, ...sum.seal }];
  await closeSession(db.manager, s.id, { at: new Date(), recordings: [sum.path], seals });
  await recordEvent(db.manager, { authorId: userId, domain: 'session', action: 'close', entity: 'web', checkpoint: true,
    args: { session_id: s.id, bytes_up: 1, bytes_down: 2, seals } });
  return { id: s.id, files: [sum.path] };
}

/** A session whose node crashed: the row stays active, the file grew after its last seal checkpoint. */
async function crashedSession(db: Database, dir: string, userId: number, hostId: number): Promise<{ id: number; files: string[] }> {
  const s = await openSession(db.manager, { userId, hostId, node: 'a', remoteAddr: '127.0.0.1:1' });
  const rec = new CastRecorder({ path: join(dir, `session-${s.id}.cast`), mode: 'everything', width: 80, height: 24, log: silentLogger });
  await addRecording(db.manager, s.id, rec.path);
  for (let i = 0; i < 10; i++) rec.output(Buffer.from(`live line ${i}\r\n`));
  await rec.close();
  appendFileSync(rec.path, '[99.5, "o", "written after the last checkpoint"]\n');
  return { id: s.id, files: [rec.path] };
}

/** Builds the fixture on `driver`. */
export async function auditFixture(ctx: Mocha.Context, driver: (typeof drivers)[number]): Promise<AuditFixture> {
  const testDb = await freshDb(ctx, driver);
  const logs = tempDir();
  const db = await openNode(testDb, 'a');
  const admin = await db.manager.findOneByOrFail(User, { name: 'admin' });
  const host = await db.manager.save(db.manager.create(Host, { name: 'web', addr: '127.0.0.1:22', user: 'u', logging: 'everything', comment: '' }));
  for (let i = 0; i < 7; i++) {
    await db.transaction((m) => recordEvent(m, { authorId: admin.id, domain: 'host', action: 'update', entity: `web${i}`, args: { comment: `c${i}` } }));
  }
  const sessions = [await recordSession(db, logs.path, admin.id, host.id, 20), await recordSession(db, logs.path, admin.id, host.id, 30)];
  const live = await crashedSession(db, logs.path, admin.id, host.id);
  await recordEvent(db.manager, { authorId: null, domain: 'auth', action: 'failure', entity: 'nobody' });
  return {
    db, testDb, logs, sessions, live,
    async verify(extra = {}) {
      let text = '';
      const code = await runVerify({ dbDriver: testDb.flags.driver, dbConn: testDb.flags.conn, ...extra }, {}, (s) => { text += s; });
      return { code, text };
    },
    async close() {
      await db.close();
      await testDb.drop();
      logs.remove();
    },
  };
}
