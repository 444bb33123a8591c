import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/**
 * An index on each foreign-key column no index began with, on SQLite only.
 * InnoDB (MySQL/MariaDB) creates one for every foreign key by itself; SQLite
 * creates none, so removing a user scanned all of `events` (author_id, ON
 * DELETE SET NULL), `sessions` (user_id) and `user_keys`, once per removed
 * user, and removing a host or a key scanned `hosts`, `sessions` and
 * `tunnel_invites` the same way, on the portal's event loop (better-sqlite3
 * is synchronous). Measured (bench/fk-deletes.ts, 1M events, 300k sessions,
 * 10k hosts): `user rm` of 10 users 3.0 s → 0.4-0.5 s (what remains is
 * rewriting those users' own ~13k rows), `host rm` of 9 hosts 0.5 s → 10-16 ms.
 * Building them took ~0.7 s on that database; the author index costs each
 * audit event append ~10 µs. The join tables and `tunnel_keys.host_id` are
 * led by an index already. Frozen: never edit, add a new migration. SQLite
 * only: on MySQL a second index of the same column would only cost writes.
 */
const indexes: readonly { table: string; column: string }[] = [
  { table: 'hosts', column: 'ssh_key_id' },
  { table: 'hosts', column: 'hop_id' },
  { table: 'user_keys', column: 'user_id' },
  { table: 'sessions', column: 'user_id' },
  { table: 'sessions', column: 'host_id' },
  { table: 'events', column: 'author_id' },
  { table: 'tunnel_invites', column: 'host_id' },
];

const indexName = (i: { table: string; column: string }): string => `idx_${i.table}_${i.column}`;
const isSqlite = (q: QueryRunner): boolean => q.connection.driver.options.type === 'better-sqlite3';

export class ForeignKeyIndexes1732000000008 implements MigrationInterface {
  name = 'ForeignKeyIndexes1732000000008';

  async up(q: QueryRunner): Promise<void> {
    if (!isSqlite(q)) return;
    for (const i of indexes) await q.createIndex(i.table, new TableIndex({ name: indexName(i), columnNames: [i.column] }));
  }

  async down(q: QueryRunner): Promise<void> {
    if (!isSqlite(q)) return;
    for (const i of [...indexes].reverse()) await q.dropIndex(i.table, indexName(i));
  }
}
