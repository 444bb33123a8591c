/**
 * Every foreign key is led by an index, on both drivers: removing a row makes
 * the database look up the rows that point at it (ON DELETE SET NULL /
 * CASCADE / RESTRICT), which without one is a scan of the whole referencing
 * table per removed row. InnoDB creates these indexes by itself; on SQLite
 * migration 1732000000008 does (measured: `user rm` of 10 users took ~3 s of
 * the portal's blocked event loop on 1M events and 300k sessions).
 *
 * SQLite looks up referencing rows with the equivalent of
 * `SELECT rowid FROM child WHERE child_key = ?` (sqlite.org/foreignkeys.html,
 * "Required and Suggested Database Indexes"): its plan is the check.
 */
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../lib/db/data-source.js';
import { migrations } from '../../migrations/index.js';
import { drivers, freshDb, type TestDb } from '../support/databases.js';

/** The indexes migration 1732000000008 creates on SQLite: table, column. */
const added = [
  ['hosts', 'ssh_key_id'], ['hosts', 'hop_id'], ['user_keys', 'user_id'], ['sessions', 'user_id'], ['sessions', 'host_id'],
  ['events', 'author_id'], ['tunnel_invites', 'host_id'],
] as const;

const migrationName = 'ForeignKeyIndexes1732000000008';

/** One foreign-key column (every foreign key of the schema has one column). */
interface ForeignKey { table: string; column: string }

/** SQLite's foreign keys and, for each, the first index its column leads (null: none). */
async function sqliteForeignKeys(ds: DataSource): Promise<(ForeignKey & { index: string | null })[]> {
  const tables = await ds.query<{ name: string }[]>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  const found: (ForeignKey & { index: string | null })[] = [];
  for (const { name: table } of tables) {
    const leading = new Map<string, string>();
    for (const { name: index } of await ds.query<{ name: string }[]>(`PRAGMA index_list("${table}")`)) {
      const [first] = await ds.query<{ name: string }[]>(`PRAGMA index_info("${index}")`);
      if (first && !leading.has(first.name)) leading.set(first.name, index);
    }
    for (const fk of await ds.query<{ from: string }[]>(`PRAGMA foreign_key_list("${table}")`)) {
      found.push({ table, column: fk.from, index: leading.get(fk.from) ?? null });
    }
  }
  return found;
}

/** MySQL's foreign keys and, for each, the indexes its column leads. */
async function mysqlForeignKeys(ds: DataSource): Promise<(ForeignKey & { indexes: string[] })[]> {
  const fks = await ds.query<{ t: string; c: string }[]>(`SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE
    WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY t, c`);
  const leads = await ds.query<{ t: string; c: string; i: string }[]>(`SELECT TABLE_NAME AS t, COLUMN_NAME AS c, INDEX_NAME AS i
    FROM INFORMATION_SCHEMA.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND SEQ_IN_INDEX = 1`);
  return fks.map((fk) => ({ table: fk.t, column: fk.c, indexes: leads.filter((l) => l.t === fk.t && l.c === fk.c).map((l) => l.i) }));
}

/** SQLite's plan of `sql`, one line per step. */
async function plan(ds: DataSource, sql: string): Promise<string[]> {
  return (await ds.query<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`, [1])).map((p) => p.detail);
}

/** The names of SQLite's indexes among those the migration adds. */
async function addedIndexes(ds: DataSource): Promise<string[]> {
  const names = added.map(([t, c]) => `idx_${t}_${c}`);
  const rows = await ds.query<{ name: string }[]>(`SELECT name FROM sqlite_master WHERE type = 'index' AND name IN (${names.map(() => '?').join(', ')}) ORDER BY name`, names);
  return rows.map((r) => r.name);
}

/** Whether the migration has run. */
async function migrated(ds: DataSource): Promise<boolean> {
  const rows = await ds.query<{ n: number | string }[]>('SELECT COUNT(*) AS n FROM migrations WHERE name = ?', [migrationName]);
  return Number(rows[0]?.n) > 0;
}

/** Undoes migrations down to just before this one, whatever landed after it. */
async function undoThrough(ds: DataSource): Promise<void> {
  for (let i = 0; i < migrations.length && (await migrated(ds)); i++) await ds.undoLastMigration();
  expect(await migrated(ds)).to.equal(false);
}

/** Rows pointing at user 10, host 20 and key 30 from every table the migration indexes (user 11 and host 21 stay). */
async function fill(ds: DataSource): Promise<void> {
  const now = "'2024-01-01 00:00:00.000'";
  await ds.query(`INSERT INTO users (id, created_at, updated_at, name, email, comment, invite_token) VALUES
    (10, ${now}, ${now}, 'gone', 'gone@example.org', '', ''), (11, ${now}, ${now}, 'kept', 'kept@example.org', '', '')`);
  await ds.query(`INSERT INTO ssh_keys (id, created_at, updated_at, name, type, length, fingerprint, priv_key, pub_key, comment) VALUES
    (30, ${now}, ${now}, 'k30', 'ed25519', 256, 'SHA256:k30', '', '', '')`);
  await ds.query(`INSERT INTO hosts (id, created_at, updated_at, name, addr, ssh_key_id, hop_id, comment) VALUES
    (20, ${now}, ${now}, 'h20', 'h20:22', NULL, NULL, ''), (21, ${now}, ${now}, 'h21', 'h21:22', 30, 20, '')`);
  await ds.query(`INSERT INTO user_keys (created_at, updated_at, \`key\`, fingerprint, authorized_key, user_id, comment) VALUES
    (${now}, ${now}, 'AAAA', 'SHA256:u10', 'ssh-ed25519 AAAA', 10, '')`);
  await ds.query(`INSERT INTO sessions (created_at, updated_at, status, user_id, host_id, comment, node, remote_addr) VALUES
    (${now}, ${now}, 'closed', 10, 20, '', 'n1', ''), (${now}, ${now}, 'closed', 11, 21, '', 'n1', '')`);
  await ds.query(`INSERT INTO events (created_at, updated_at, author_id, chain_author_id, domain, action, entity) VALUES
    (${now}, ${now}, 10, 10, 'user', 'invite', 'gone'), (${now}, ${now}, 11, 11, 'user', 'invite', 'kept')`);
  await ds.query(`INSERT INTO tunnel_invites (created_at, updated_at, host_id, token_hash, expires_at) VALUES (${now}, ${now}, 21, 'sha256:t', ${now})`);
}

for (const driver of drivers) {
  describe(`db: every foreign key is indexed (${driver})`, function () {
    const sqlite = driver === 'sqlite3';
    let db: TestDb;
    let ds: DataSource;
    before(async function () {
      db = await freshDb(this, driver);
      ds = createDataSource(db.config);
      await ds.initialize();
      await ds.runMigrations();
    });
    after(async () => {
      await ds?.destroy();
      await db?.drop();
    });

    it('after migrations, an index begins with each foreign-key column', async () => {
      if (sqlite) {
        const fks = await sqliteForeignKeys(ds);
        expect(fks.filter((f) => f.index === null), 'unindexed foreign keys').to.deep.equal([]);
        // The migration's own indexes serve the columns it was written for (the others were led by one already).
        for (const [table, column] of added) {
          expect(fks.find((f) => f.table === table && f.column === column)?.index, `${table}.${column}`).to.equal(`idx_${table}_${column}`);
        }
      } else {
        const fks = await mysqlForeignKeys(ds);
        expect(fks.length).to.be.greaterThan(added.length);
        expect(fks.filter((f) => f.indexes.length === 0), 'unindexed foreign keys').to.deep.equal([]);
        // InnoDB's own index serves each; the migration adds no second one on MySQL.
        for (const f of fks) expect(f.indexes.filter((i) => i.startsWith('idx_') && i.endsWith(f.column)), `${f.table}.${f.column}`).to.deep.equal([]);
      }
    });

    // SQLite's plans only (InnoDB's own foreign-key indexes are checked above): not defined on MySQL rather than skipped there.
    if (sqlite) it('SQLite finds the rows referencing a removed row through an index, never by a scan', async () => {
      for (const { table, column } of await sqliteForeignKeys(ds)) {
        const steps = await plan(ds, `SELECT rowid FROM "${table}" WHERE "${column}" = ?`);
        expect(steps, `${table}.${column}`).to.have.length(1);
        expect(steps[0], `${table}.${column}`).to.match(new RegExp(`^SEARCH ${table} USING (COVERING )?INDEX \\S+ \\(${column}=\\?\\)$`));
      }
      // What removing a user does to the audit trail (ON DELETE SET NULL), read from the new index.
      expect(await plan(ds, 'UPDATE events SET author_id = NULL WHERE author_id = ?'))
        .to.deep.equal(['SEARCH events USING COVERING INDEX idx_events_author_id (author_id=?)']);
    });

    it('runs on a database holding rows, keeps them, and its down removes only its indexes', async () => {
      await undoThrough(ds);
      if (sqlite) expect(await addedIndexes(ds)).to.deep.equal([]);
      const before = await (sqlite ? sqliteForeignKeys(ds) : mysqlForeignKeys(ds));
      await fill(ds);
      await ds.runMigrations();
      expect(await migrated(ds)).to.equal(true);
      if (sqlite) expect(await addedIndexes(ds)).to.deep.equal(added.map(([t, c]) => `idx_${t}_${c}`).sort());
      else expect(await mysqlForeignKeys(ds)).to.deep.equal(before);
      for (const [table, n] of [['users', 2], ['hosts', 2], ['user_keys', 1], ['sessions', 2], ['events', 2], ['tunnel_invites', 1]] as const) {
        const [row] = await ds.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${table}`);
        expect(Number(row?.n), table).to.equal(n);
      }
      // The removals the indexes serve still do what the foreign keys say.
      await ds.query('DELETE FROM users WHERE id = 10');
      expect(await ds.query('SELECT author_id AS a, chain_author_id AS c FROM events ORDER BY id')).to.deep.equal([{ a: null, c: 10 }, { a: 11, c: 11 }]);
      expect((await ds.query<{ u: number | null }[]>('SELECT user_id AS u FROM sessions ORDER BY id')).map((r) => r.u)).to.deep.equal([null, 11]);
      expect(await ds.query('SELECT id FROM user_keys')).to.deep.equal([]);
      await ds.query('DELETE FROM hosts WHERE id = 21');
      expect(await ds.query('SELECT id FROM tunnel_invites')).to.deep.equal([]);
      expect((await ds.query<{ h: number | null }[]>('SELECT host_id AS h FROM sessions ORDER BY id')).map((r) => r.h)).to.deep.equal([20, null]);
      await undoThrough(ds);
      if (sqlite) expect(await addedIndexes(ds)).to.deep.equal([]);
      expect(await (sqlite ? sqliteForeignKeys(ds) : mysqlForeignKeys(ds))).to.deep.equal(before);
    });
  });
}
