import { generateKeyPairSync, sign } from 'node:crypto';
import { appendFileSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { checkpointMessage } from '../../../lib/db/chain/encoding.js';
import { publicKeyId, publicKeyPem } from '../../../lib/db/chain/signer.js';
import { signingPublicKey } from '../../../lib/db/chain/read.js';
import type { Database } from '../../../lib/db/database.js';
import { userMessage } from '../../../lib/errors.js';
import { drivers } from '../../support/databases.js';
import { auditFixture, type AuditFixture } from './fixture.js';

async function one(db: Database, sql: string): Promise<Record<string, unknown>> {
  const rows = await db.ds.query<Record<string, unknown>[]>(sql);
  return rows[0];
}

async function eventIdAt(db: Database, seq: number): Promise<number> {
  return Number((await one(db, `SELECT id FROM events WHERE seq = ${seq}`)).id);
}

/** Swaps everything but the id between two event rows (the unique seq needs a parking value). */
async function swapEvents(db: Database, a: number, b: number): Promise<void> {
  const cols = ['seq', 'prev_hash', 'hash', 'created_at', 'author_id', 'chain_author_id', 'domain', 'action', 'entity', 'args'];
  const ra = await one(db, `SELECT ${cols.join(', ')} FROM events WHERE id = ${a}`);
  const rb = await one(db, `SELECT ${cols.join(', ')} FROM events WHERE id = ${b}`);
  const set = (r: Record<string, unknown>): [string, unknown[]] => [cols.map((c) => `${c} = ?`).join(', '), cols.map((c) => r[c])];
  await db.ds.query(`UPDATE events SET seq = -1 WHERE id = ${a}`);
  const [sb, vb] = set(rb);
  const [sa, va] = set(ra);
  await db.ds.query(`UPDATE events SET ${sb.replace('seq = ?', 'seq = -2')} WHERE id = ${a}`, vb.map((v, i) => (i === 0 ? undefined : v)).filter((_, i) => i !== 0));
  await db.ds.query(`UPDATE events SET ${sa} WHERE id = ${b}`, va);
  await db.ds.query(`UPDATE events SET seq = ? WHERE id = ${a}`, [rb.seq]);
}

interface TamperCase {
  name: string;
  drivers: readonly string[];
  tamper(f: AuditFixture): Promise<RegExp>;
}

const all = ['sqlite3', 'mysql'];

const cases: TamperCase[] = [
  { name: "one event's args updated", drivers: all, async tamper(f) {
    const id = await eventIdAt(f.db, 3);
    await f.db.ds.query(`UPDATE events SET args = '{"comment":"innocent"}' WHERE id = ${id}`);
    return new RegExp(`^FAILED: event ${id} edited: its content does not match its hash$`, 'm');
  } },
  { name: 'an event deleted', drivers: all, async tamper(f) {
    const gone = await eventIdAt(f.db, 4);
    const next = await eventIdAt(f.db, 5);
    await f.db.ds.query(`DELETE FROM events WHERE id = ${gone}`);
    return new RegExp(`^FAILED: event ${next} deleted: event #4 of the chain before it is missing$`, 'm');
  } },
  { name: 'the newest events deleted, up to a signed checkpoint', drivers: ['sqlite3'], async tamper(f) {
    const c = await one(f.db, 'SELECT id, seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
    await f.db.ds.query(`DELETE FROM events WHERE seq >= ${Number(c.seq)}`);
    return new RegExp(`^FAILED: checkpoint ${String(c.id)} deleted: the event #${String(c.seq)} it signs is missing$`, 'm');
  } },
  { name: 'two events swapped', drivers: all, async tamper(f) {
    const [a, b] = [await eventIdAt(f.db, 2), await eventIdAt(f.db, 3)];
    await swapEvents(f.db, a, b);
    return new RegExp(`^FAILED: event ${a} reordered: it is chained after event ${b} but has a smaller id$`, 'm');
  } },
  { name: "an event's author changed", drivers: ['sqlite3'], async tamper(f) {
    const id = await eventIdAt(f.db, 2);
    const other = Number((await one(f.db, "SELECT id FROM users WHERE name = 'admin'")).id);
    await f.db.ds.query(`INSERT INTO users (name, email, comment, invite_token) VALUES ('mallory', 'm@x', '', '')`);
    const mallory = Number((await one(f.db, "SELECT id FROM users WHERE name = 'mallory'")).id);
    expect(mallory).to.not.equal(other);
    await f.db.ds.query(`UPDATE events SET author_id = ${mallory} WHERE id = ${id}`);
    return new RegExp(`^FAILED: event ${id} edited: its author was changed`, 'm');
  } },
  { name: 'the last line of a recording cut', drivers: all, tamper(f) {
    const file = f.sessions[1]?.files[0];
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.trimEnd().lastIndexOf('\n') + 1));
    return Promise.resolve(new RegExp(`^FAILED: session ${f.sessions[1]?.id} truncated recording: session-\\d+\\.cast has \\d+ bytes, sealed with \\d+$`, 'm'));
  } },
  { name: "a crashed session's recording cut before its last checkpoint", drivers: ['sqlite3'], tamper(f) {
    const file = f.live.files[0];
    truncateSync(file, 100);
    return Promise.resolve(new RegExp(`^FAILED: session ${f.live.id} truncated recording: session-\\d+\\.cast has 100 bytes, sealed with \\d+ \\(live checkpoint\\)$`, 'm'));
  } },
  { name: "a crashed session's recording edited before its last checkpoint", drivers: ['sqlite3'], tamper(f) {
    const file = f.live.files[0];
    const buf = readFileSync(file);
    buf[120] = (buf[120]) ^ 0x20;
    writeFileSync(file, buf);
    return Promise.resolve(new RegExp(`^FAILED: session ${f.live.id} edited recording: session-\\d+\\.cast does not match its sealed hash \\(live checkpoint\\)$`, 'm'));
  } },
  { name: 'one byte flipped in the middle of a recording', drivers: all, tamper(f) {
    const file = f.sessions[0]?.files[0];
    const buf = readFileSync(file);
    const mid = Math.floor(buf.length / 2);
    buf[mid] = (buf[mid]) ^ 0x01;
    writeFileSync(file, buf);
    return Promise.resolve(new RegExp(`^FAILED: session ${f.sessions[0]?.id} edited recording: session-\\d+\\.cast does not match its sealed hash$`, 'm'));
  } },
  { name: 'a recording grown after its close', drivers: ['sqlite3'], tamper(f) {
    appendFileSync(f.sessions[0]?.files[0], '[9.9, "o", "forged"]\n');
    return Promise.resolve(new RegExp(`^FAILED: session ${f.sessions[0]?.id} edited recording`, 'm'));
  } },
  { name: 'a recording file deleted', drivers: all, tamper(f) {
    unlinkSync(f.sessions[1]?.files[0]);
    return Promise.resolve(new RegExp(`^FAILED: session ${f.sessions[1]?.id} missing recording: session-\\d+\\.cast is missing$`, 'm'));
  } },
  { name: "a session row's seals rewritten", drivers: ['sqlite3'], async tamper(f) {
    await f.db.ds.query(`UPDATE sessions SET seals = NULL WHERE id = ${f.sessions[0]?.id}`);
    return new RegExp(`^FAILED: session ${f.sessions[0]?.id} edited: its recording seals differ from its close event$`, 'm');
  } },
  { name: 'a checkpoint re-signed with a different key', drivers: all, async tamper(f) {
    const c = await one(f.db, 'SELECT id, seq, hash, node, created_at FROM audit_checkpoints ORDER BY id DESC LIMIT 1');
    const other = generateKeyPairSync('ed25519');
    const createdAt = c.created_at instanceof Date ? c.created_at : new Date(String(c.created_at).replace(' ', 'T') + 'Z');
    const sig = sign(null, checkpointMessage({ seq: Number(c.seq), hash: String(c.hash), node: String(c.node), createdAt }), other.privateKey).toString('base64');
    await f.db.ds.query('UPDATE audit_checkpoints SET public_key = ?, signature = ? WHERE id = ?', [publicKeyId(other.publicKey), sig, c.id]);
    return new RegExp(`^FAILED: checkpoint ${String(c.id)} bad signature: it is signed by a key that is not the audit key$`, 'm');
  } },
  { name: 'a checkpoint signature altered', drivers: ['sqlite3'], async tamper(f) {
    const c = await one(f.db, 'SELECT id, signature FROM audit_checkpoints ORDER BY id LIMIT 1');
    const sig = Buffer.from(String(c.signature), 'base64');
    sig[3] = (sig[3]) ^ 0xff;
    await f.db.ds.query('UPDATE audit_checkpoints SET signature = ? WHERE id = ?', [sig.toString('base64'), c.id]);
    return new RegExp(`^FAILED: checkpoint ${String(c.id)} bad signature: its signature does not match its content$`, 'm');
  } },
  { name: 'the whole chain recomputed after an edit (no key)', drivers: ['sqlite3'], async tamper(f) {
    // An attacker without the signing key rewrites event #2 and re-links everything after it.
    const { eventHash } = await import('../../../lib/db/chain/encoding.js');
    const rows = await f.db.ds.query<Record<string, unknown>[]>('SELECT * FROM events WHERE seq IS NOT NULL ORDER BY seq');
    let prev = '0'.repeat(64);
    for (const r of rows) {
      const args = r.seq === 2 ? '{"comment":"rewritten"}' : (r.args as string | null);
      const createdAt = new Date(String(r.created_at).replace(' ', 'T') + 'Z');
      const hash = eventHash({ seq: Number(r.seq), prevHash: prev, createdAt, chainAuthorId: r.chain_author_id === null ? null : Number(r.chain_author_id),
        domain: String(r.domain), action: String(r.action), entity: String(r.entity), args, deletedAt: null });
      await f.db.ds.query('UPDATE events SET args = ?, prev_hash = ?, hash = ? WHERE id = ?', [args, prev, hash, r.id]);
      prev = hash;
    }
    return /^FAILED: event \d+ edited: the chain up to it was rewritten: checkpoint \d+ signed a different hash$/m;
  } },
];

for (const driver of drivers) {
  describe(`audit verifier on ${driver}: tampering is detected and named`, function () {
    this.timeout(60_000);

    it('verifies an untouched database: OK with every event and recording counted', async function () {
      const f = await auditFixture(this, driver);
      try {
        const r = await f.verify({ logsLocation: f.logs.path });
        const newest = await one(f.db, 'SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
        expect(r.text).to.equal('note: 1 newest event is not yet covered by a signed checkpoint (hash chain only)\n' +
          `note: 1 recording of sessions not closed checked up to their last checkpoint\nhead: 12:${String(newest.hash)}\nOK: 12 events, 3 recordings verified\n`);
        expect(Number(newest.seq)).to.equal(12);
        expect(r.code).to.equal(0);
        const pem = publicKeyPem((await signingPublicKey(f.db.manager)) as string);
        const keyFile = join(f.logs.path, 'audit.pub');
        writeFileSync(keyFile, pem);
        expect((await f.verify({ logsLocation: f.logs.path, publicKey: keyFile })).code).to.equal(0);
      } finally {
        await f.close();
      }
    });

    it('the whole newest tail deleted with its checkpoints: the chain alone cannot tell, a head kept outside the portal names it', async function () {
      const f = await auditFixture(this, driver);
      try {
        const before = await f.verify({ logsLocation: f.logs.path });
        const kept = /^head: (\S+)$/m.exec(before.text)?.[1] ?? '';
        expect(kept).to.match(/^12:[0-9a-f]{64}$/);
        expect((await f.verify({ logsLocation: f.logs.path, head: kept })).code).to.equal(0);
        // From the last signed session close on: its close event, its checkpoint and what came after.
        const c = await one(f.db, 'SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
        await f.db.ds.query(`DELETE FROM audit_checkpoints WHERE seq >= ${Number(c.seq)}`);
        await f.db.ds.query(`DELETE FROM events WHERE seq >= ${Number(c.seq)}`);
        const alone = await f.verify({ logsLocation: f.logs.path });
        expect(alone.code, alone.text).to.equal(0);
        // What is left still links; the session whose close event went is named in a note.
        const closedLast = f.sessions[1]?.id;
        expect(alone.text).to.match(new RegExp(`^note: 1 closed session with recordings has no chained close event \\(${closedLast}; a node stopped before writing it, or it was deleted\\)`, 'm'));
        const against = await f.verify({ logsLocation: f.logs.path, head: kept });
        expect(against.code, against.text).to.equal(1);
        const last = Number(c.seq) - 1;
        expect(against.text).to.match(new RegExp(`^FAILED: head 12 deleted: the chain ends at #${last}, before this head kept outside the portal: the events after #${last} were deleted$`, 'm'));
        expect(against.text).to.not.match(/^head: /m);
      } finally {
        await f.close();
      }
    });

    it('a kept head whose event was rewritten, the chain re-linked after it: named', async function () {
      const f = await auditFixture(this, driver);
      try {
        const kept = /^head: (\S+)$/m.exec((await f.verify({ logsLocation: f.logs.path })).text)?.[1] ?? '';
        const id = await eventIdAt(f.db, 12);
        // The newest event is under no checkpoint: rewritten with a hash that matches its new content, only the kept head knows.
        const { eventHash } = await import('../../../lib/db/chain/encoding.js');
        const r = await one(f.db, `SELECT * FROM events WHERE id = ${id}`);
        const createdAt = r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at).replace(' ', 'T') + 'Z');
        const hash = eventHash({ seq: 12, prevHash: String(r.prev_hash), createdAt, chainAuthorId: r.chain_author_id === null ? null : Number(r.chain_author_id),
          domain: String(r.domain), action: String(r.action), entity: 'somebody-else', args: r.args as string | null, deletedAt: null });
        await f.db.ds.query('UPDATE events SET entity = ?, hash = ? WHERE id = ?', ['somebody-else', hash, id]);
        expect((await f.verify({ logsLocation: f.logs.path })).code).to.equal(0);
        const against = await f.verify({ logsLocation: f.logs.path, head: kept });
        expect(against.code, against.text).to.equal(1);
        expect(against.text).to.match(new RegExp(`^FAILED: event ${id} edited: the chain up to it was rewritten: the head kept outside the portal \\(#12\\) has a different hash$`, 'm'));
      } finally {
        await f.close();
      }
    });

    it('a --head that is not SEQ:HASH is a usage error, before the database is read', async function () {
      const f = await auditFixture(this, driver);
      try {
        let err: unknown;
        await f.verify({ head: '12:nothex' }).catch((e: unknown) => { err = e; });
        expect(userMessage(err)).to.equal("invalid --head '12:nothex': expected SEQ:HASH, as printed after 'head:' by an earlier verify");
      } finally {
        await f.close();
      }
    });

    for (const c of cases.filter((x) => x.drivers.includes(driver))) {
      it(`detects ${c.name}`, async function () {
        const f = await auditFixture(this, driver);
        try {
          const expected = await c.tamper(f);
          const r = await f.verify({ logsLocation: f.logs.path });
          expect(r.code, r.text).to.equal(1);
          expect(r.text).to.match(expected);
        } finally {
          await f.close();
        }
      });
    }
  });
}
