import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex, type TableColumnOptions } from 'typeorm';

/**
 * Tamper-evident audit (#15): the event hash chain (sequence, previous hash, own
 * hash, the author as written; the unique sequence number keeps it one chain),
 * signed checkpoints, the signing keys and the recording seals of sessions. Driver-neutral; frozen once released.
 */

const hash = (name: string): TableColumnOptions => ({ name, type: 'varchar', length: '64', isNullable: true });
const int = (name: string, isNullable: boolean): TableColumnOptions => ({ name, type: 'integer', isNullable });

/** Adds the audit chain. */
export class Audit1732000000004 implements MigrationInterface {
  name = 'Audit1732000000004';

  async up(q: QueryRunner): Promise<void> {
    const t = q.connection.driver.mappedDataTypes;
    const created: TableColumnOptions = { name: 'created_at', type: String(t.createDate), precision: t.createDatePrecision, default: String(t.createDateDefault) };
    await q.addColumns('events', [new TableColumn(int('seq', true)), new TableColumn(hash('prev_hash')), new TableColumn(hash('hash')),
      new TableColumn(int('chain_author_id', true))]);
    await q.createIndex('events', new TableIndex({ name: 'uq_events_seq', columnNames: ['seq'], isUnique: true }));
    await q.addColumn('sessions', new TableColumn({ name: 'seals', type: 'text', isNullable: true }));
    await q.createTable(new Table({
      name: 'audit_checkpoints',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' }, created,
        int('seq', false), { ...hash('hash'), isNullable: false }, { name: 'node', type: 'varchar', length: '255', default: "''" },
        { name: 'public_key', type: 'varchar', length: '255' }, { name: 'signature', type: 'varchar', length: '255' },
      ],
    }));
    await q.createTable(new Table({
      name: 'audit_keys',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' }, created,
        { name: 'public_key', type: 'varchar', length: '255' }, { name: 'private_key', type: 'text', isNullable: true },
      ],
      indices: [{ name: 'uq_audit_keys_public_key', columnNames: ['public_key'], isUnique: true }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_keys');
    await q.dropTable('audit_checkpoints');
    await q.dropColumn('sessions', 'seals');
    await q.dropIndex('events', 'uq_events_seq');
    for (const c of ['chain_author_id', 'hash', 'prev_hash', 'seq']) await q.dropColumn('events', c);
  }
}
