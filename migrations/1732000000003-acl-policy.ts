import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * ACL session policy (lib/acl/policy.ts): what an ACL allows inside a
 * session. The defaults are today's behaviour (everything allowed), so
 * existing ACLs grant and take nothing new.
 * Frozen: never edit, add a new migration. Driver-neutral.
 */
const yesNo = (name: string): TableColumn => new TableColumn({ name, type: 'varchar', length: '8', default: "'yes'" });
const forward = (name: string): TableColumn => new TableColumn({ name, type: 'varchar', length: '1024', default: "'any'" });
const columns = (): TableColumn[] => [
  yesNo('shell'), yesNo('exec'), yesNo('file_copy'), forward('local_forward'), forward('remote_forward'), yesNo('agent_forward'), yesNo('x11'),
];

export class AclPolicy1732000000003 implements MigrationInterface {
  name = 'AclPolicy1732000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('acls', columns());
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumns('acls', columns().map((c) => c.name));
  }
}
