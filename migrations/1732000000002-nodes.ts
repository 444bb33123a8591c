import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The `nodes` table: one row per running portal node (name, the address other
 * nodes reach it at, version, start and last heartbeat). Frozen: never edit,
 * add a new migration. Driver-neutral (QueryRunner Table API).
 */
export class Nodes1732000000002 implements MigrationInterface {
  name = 'Nodes1732000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({
      name: 'nodes',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'name', type: 'varchar', length: '255' },
        { name: 'address', type: 'varchar', length: '255' },
        { name: 'version', type: 'varchar', length: '64' },
        { name: 'started_at', type: 'datetime', precision: 3 },
        { name: 'heartbeat_at', type: 'datetime', precision: 3 },
      ],
      indices: [{ name: 'uq_nodes_name', columnNames: ['name'], isUnique: true }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('nodes');
  }
}
