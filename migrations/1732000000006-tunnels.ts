import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, type TableColumnOptions } from 'typeorm';

/**
 * Reverse-tunnel hosts: `tunnel_keys` (the public keys a connector may use for
 * a host, bound by a host invite) and `tunnel_invites` (single-use enrollment
 * tokens, stored as SHA-256 hashes). A tunnel host itself is a `hosts` row
 * whose url is `tunnel://…`. Frozen: never edit, add a new migration.
 * Driver-neutral (QueryRunner Table API).
 */
export class Tunnels1732000000006 implements MigrationInterface {
  name = 'Tunnels1732000000006';

  async up(q: QueryRunner): Promise<void> {
    const t = q.connection.driver.mappedDataTypes;
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    const base: TableColumnOptions[] = [
      { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
      { name: 'created_at', type: String(t.createDate), precision: t.createDatePrecision, default: String(t.createDateDefault) },
      { name: 'updated_at', type: String(t.updateDate), precision: t.updateDatePrecision, default: String(t.updateDateDefault),
        onUpdate: mysql ? String(t.updateDateDefault) : undefined },
      { name: 'deleted_at', type: 'datetime', precision: 3, isNullable: true },
    ];
    const hostFk = (): TableForeignKey => new TableForeignKey({
      columnNames: ['host_id'], referencedTableName: 'hosts', referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION',
    });
    await q.createTable(new Table({
      name: 'tunnel_keys',
      columns: [...base,
        { name: 'host_id', type: 'integer' },
        { name: 'fingerprint', type: 'varchar', length: '128' },
        { name: 'authorized_key', type: 'text' },
        { name: 'comment', type: 'varchar', length: '1024', default: "''" },
      ],
      indices: [
        { name: 'uq_tunnel_keys_host_fingerprint', columnNames: ['host_id', 'fingerprint'], isUnique: true },
        { name: 'idx_tunnel_keys_fingerprint', columnNames: ['fingerprint'] },
      ],
      foreignKeys: [hostFk()],
    }));
    await q.createTable(new Table({
      name: 'tunnel_invites',
      columns: [...base,
        { name: 'host_id', type: 'integer' },
        { name: 'token_hash', type: 'varchar', length: '128' },
        { name: 'expires_at', type: 'datetime', precision: 3 },
      ],
      indices: [{ name: 'uq_tunnel_invites_token_hash', columnNames: ['token_hash'], isUnique: true }],
      foreignKeys: [hostFk()],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('tunnel_invites');
    await q.dropTable('tunnel_keys');
  }
}
