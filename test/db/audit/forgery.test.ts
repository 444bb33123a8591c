/**
 * Forgeries the verifier once let through (security review): a second close
 * event re-sealing an edited recording, the newest checkpoints deleted to
 * rewrite a long tail, and rows with a sequence number it never looked at
 * (one of which stopped every later append on MySQL).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { runVerify } from '../../../cmd/verify.js';
import { setChainSigner } from '../../../lib/db/chain/append.js';
import { eventHash } from '../../../lib/db/chain/encoding.js';
import { ChainHeadError } from '../../../lib/db/chain/head.js';
import { openDatabase, type Database } from '../../../lib/db/database.js';
import { recordEvent } from '../../../lib/db/events.js';
import { drivers, freshDb, type TestDb } from '../../support/databases.js';
import { auditFixture, openNode } from './fixture.js';

const aesKey = '0123456789abcdef';

async function rows(db: Database, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return db.ds.query<Record<string, unknown>[]>(sql, params);
}

async function one(db: Database, sql: string, params: unknown[] = []): Promise<Record<string, unknown>> {
  const [r] = await rows(db, sql, params);
  if (!r) throw new Error(`no row: ${sql}`);
  return r;
}

async function verify(testDb: TestDb, logsLocation?: string): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await runVerify({ dbDriver: testDb.flags.driver, dbConn: testDb.flags.conn, logsLocation }, {}, (s) => { text += s; });
  return { code, text };
}

/** A stored datetime as the Date it was hashed with (SQLite keeps UTC text, MySQL gives a Date). */
function storedDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v).replace(' ', 'T') + 'Z');
}

/** Rewrites `args` of every chained event from `fromSeq` on and re-links the chain after it (no key needed). */
async function rewriteTail(db: Database, fromSeq: number): Promise<void> {
  const [prevRow] = await rows(db, 'SELECT hash FROM events WHERE seq = ?', [fromSeq - 1]);
  let prev = String(prevRow?.hash);
  for (const r of await rows(db, 'SELECT * FROM events WHERE seq >= ? ORDER BY seq', [fromSeq])) {
    const args = JSON.stringify({ rewritten: Number(r.seq) });
    const hash = eventHash({ seq: Number(r.seq), prevHash: prev, createdAt: storedDate(r.created_at), chainAuthorId: r.chain_author_id === null ? null : Number(r.chain_author_id),
      domain: String(r.domain), action: String(r.action), entity: String(r.entity), args, deletedAt: null });
    await db.ds.query('UPDATE events SET args = ?, prev_hash = ?, hash = ? WHERE id = ?', [args, prev, hash, r.id]);
    prev = hash;
  }
}

/** Inserts a raw event row (what someone with write access to the database can do). */
async function insertRow(db: Database, seq: number, hash: string | null, prevHash: string | null): Promise<number> {
  await db.ds.query(`INSERT INTO events (created_at, updated_at, author_id, domain, action, entity, args, seq, prev_hash, hash, chain_author_id)
    VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, NULL, 'host', 'update', 'slipped-in', NULL, ?, ?, ?, NULL)`, [seq, prevHash, hash]);
  return Number((await one(db, 'SELECT id FROM events WHERE seq = ?', [seq])).id);
}

for (const driver of drivers) {
  describe(`audit verifier on ${driver}: forgeries from the security review`, function () {
    this.timeout(120_000);

    describe('a forged second close event re-sealing an old recording', () => {
      for (const withKey of [false, true]) {
        it(`is named${withKey ? ', even signed with the stolen audit key' : ''}`, async function () {
          const f = await auditFixture(this, driver);
          const attacker = withKey ? await openNode(f.testDb, 'mallory', 100, aesKey) : await openDatabase(f.testDb.config, aesKey);
          try {
            const s = f.sessions[0];
            const file = s.files[0];
            const [firstClose] = await rows(f.db, "SELECT id FROM events WHERE domain = 'session' AND action = 'close' ORDER BY seq");
            // Edit the recording, re-seal the row and append a chained close event with the forged seals.
            const text = readFileSync(file, 'utf8').replace(`line 3 of session ${s.id}`, `line X of session ${s.id}`);
            writeFileSync(file, text);
            const seals = [{ path: file, length: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') }];
            await attacker.ds.query('UPDATE sessions SET seals = ? WHERE id = ?', [JSON.stringify(seals), s.id]);
            await recordEvent(attacker.manager, { authorId: null, domain: 'session', action: 'close', entity: 'web', checkpoint: withKey,
              args: { session_id: s.id, bytes_up: 1, bytes_down: 2, seals } });
            const forged = await one(f.db, 'SELECT id, seq FROM events ORDER BY seq DESC LIMIT 1');
            const r = await f.verify({ logsLocation: f.logs.path });
            expect(r.code, r.text).to.equal(1);
            expect(r.text).to.match(new RegExp(`^FAILED: event ${String(forged.id)} inserted: it closes session ${s.id} again \\(event ${String(firstClose?.id)} closed it first\\)$`, 'm'));
            expect(r.text).to.match(new RegExp(`^FAILED: session ${s.id} edited: its recording seals differ from its close event$`, 'm'));
            if (!withKey) {
              expect(r.text).to.match(new RegExp(`^FAILED: event ${String(forged.id)} deleted: its checkpoint \\(#${String(forged.seq)}\\) is missing: every session close is signed`, 'm'));
            }
          } finally {
            await attacker.close();
            await f.close();
          }
        });
      }
    });

    describe('the newest checkpoints deleted to rewrite a long tail', () => {
      let testDb: TestDb;
      let db: Database;
      before(async function () {
        testDb = await freshDb(this, driver);
        db = await openNode(testDb, 'a', 100);
        for (let i = 1; i <= 250; i++) await recordEvent(db.manager, { authorId: null, domain: 'auth', action: 'failure', entity: `n${i}` });
      });
      after(async () => {
        await db?.close();
        await testDb?.drop();
      });

      it('250 events signed at #100 and #200 verify, 50 of them uncovered', async () => {
        expect((await rows(db, 'SELECT seq FROM audit_checkpoints ORDER BY seq')).map((c) => Number(c.seq))).to.deep.equal([100, 200]);
        const r = await verify(testDb);
        expect(r.text).to.match(/^note: 50 newest events are not yet covered by a signed checkpoint \(hash chain only\)\nhead: 250:[0-9a-f]{64}\nOK: 250 events, 0 recordings verified\n$/);
        expect(r.code).to.equal(0);
      });

      it('the checkpoint at #200 deleted and the 150 events after #100 rewritten: named', async () => {
        await db.ds.query('DELETE FROM audit_checkpoints WHERE seq = 200');
        await rewriteTail(db, 101);
        const at200 = Number((await one(db, 'SELECT id FROM events WHERE seq = 200')).id);
        const r = await verify(testDb);
        expect(r.code, r.text).to.equal(1);
        expect(r.text).to.match(new RegExp(`^FAILED: event ${at200} deleted: its checkpoint \\(#200\\) is missing: every event whose number is a multiple of 100 is signed as it is written$`, 'm'));
      });

      it('an event whose checkpoint cannot be written is not written either (no gap a crash could leave)', async () => {
        const before = Number((await one(db, 'SELECT COUNT(*) AS n FROM events')).n);
        setChainSigner(db.ds, { publicKey: 'AAAA', node: 'broken', every: 1, sign: () => { throw new Error('the signing key is gone'); } });
        let thrown: unknown = null;
        try {
          await recordEvent(db.manager, { authorId: null, domain: 'auth', action: 'failure', entity: 'unsigned' });
        } catch (err) {
          thrown = err;
        }
        expect(String(thrown)).to.match(/the signing key is gone/);
        expect(Number((await one(db, 'SELECT COUNT(*) AS n FROM events')).n)).to.equal(before);
        expect(await rows(db, "SELECT id FROM events WHERE entity = 'unsigned'")).to.deep.equal([]);
      });
    });

    describe('rows with a sequence number outside the chain', () => {
      const cases: { name: string; slip(db: Database, head: { seq: number; hash: string }): Promise<{ id: number; detail: string }> }[] = [
        { name: 'a row at seq 0 carrying a real hash', async slip(db, head) {
          return { id: await insertRow(db, 0, head.hash, head.hash), detail: 'its sequence number #0 is outside the chain, which starts at #1' };
        } },
        { name: 'a row at a negative seq', async slip(db) {
          return { id: await insertRow(db, -5, null, null), detail: 'its sequence number #-5 is outside the chain, which starts at #1' };
        } },
        { name: 'a row past the head with no hash', async slip(db, head) {
          return { id: await insertRow(db, head.seq + 1, null, head.hash), detail: `it has a sequence number (#${head.seq + 1}) but no hash` };
        } },
        { name: 'a row past the head with no previous hash', async slip(db, head) {
          return { id: await insertRow(db, head.seq + 1, head.hash, null), detail: `it has a sequence number (#${head.seq + 1}) but no previous hash` };
        } },
      ];
      for (const c of cases) {
        it(`names ${c.name} as inserted`, async function () {
          const f = await auditFixture(this, driver);
          try {
            const h = await one(f.db, 'SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
            const slipped = await c.slip(f.db, { seq: Number(h.seq), hash: String(h.hash) });
            const r = await f.verify({ logsLocation: f.logs.path });
            expect(r.code, r.text).to.equal(1);
            expect(r.text).to.match(new RegExp(`^FAILED: event ${slipped.id} inserted: ${slipped.detail.replace(/[()#]/g, '\\$&')}$`, 'm'));
          } finally {
            await f.close();
          }
        });
      }

      it('a newest row without a hash stops appends loudly, writing nothing, instead of restarting the chain', async function () {
        const f = await auditFixture(this, driver);
        try {
          const h = await one(f.db, 'SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
          const id = await insertRow(f.db, Number(h.seq) + 5, null, null);
          const count = Number((await one(f.db, 'SELECT COUNT(*) AS n FROM events')).n);
          for (const inTransaction of [false, true]) {
            let thrown: unknown = null;
            const append = (m: typeof f.db.manager): Promise<void> => recordEvent(m, { authorId: null, domain: 'auth', action: 'failure', entity: 'after' });
            try {
              await (inTransaction ? f.db.transaction(append) : append(f.db.manager));
            } catch (err) {
              thrown = err;
            }
            expect(thrown, `in a transaction: ${String(inTransaction)}`).to.be.instanceOf(ChainHeadError);
            expect(String(thrown)).to.match(new RegExp(`newest event ${id} \\(#${Number(h.seq) + 5}\\) has no hash`));
          }
          expect(Number((await one(f.db, 'SELECT COUNT(*) AS n FROM events')).n)).to.equal(count);
          const r = await f.verify({ logsLocation: f.logs.path });
          expect(r.code, r.text).to.equal(1);
          expect(r.text).to.match(new RegExp(`^FAILED: event ${id} inserted: it has a sequence number`, 'm'));
        } finally {
          await f.close();
        }
      });
    });
  });
}
