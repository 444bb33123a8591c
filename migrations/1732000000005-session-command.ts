import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * `sessions.commands`: what a relayed connection ran (exec commands,
 * subsystems, shells) as a JSON array, bounded by the application.
 * Frozen: never edit, add a new migration. Driver-neutral.
 */
export class SessionCommand1732000000005 implements MigrationInterface {
  name = 'SessionCommand1732000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('sessions', new TableColumn({ name: 'commands', type: 'text', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('sessions', 'commands');
  }
}
