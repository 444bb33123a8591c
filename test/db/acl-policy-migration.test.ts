import { expect } from 'chai';
import { createDataSource } from '../../lib/db/data-source.js';
import { migrations } from '../../migrations/index.js';
import { drivers, freshDb, type TestDb } from '../support/databases.js';

for (const driver of drivers) {
  describe(`migration 1732000000003 (ACL policy) on ${driver}`, function () {
    let db: TestDb;
    before(async function () { db = await freshDb(this, driver); });
    after(async () => { await db?.drop(); });

    it('keeps existing ACLs and their group links, with the defaults (today\'s behaviour)', async () => {
      const ds = createDataSource(db.config);
      await ds.initialize();
      try {
        await ds.runMigrations();
        // Undo down to just before this migration, whatever landed after it.
        const hasPolicy = async (): Promise<boolean> => {
          const qr = ds.createQueryRunner();
          try { return await qr.hasColumn('acls', 'shell'); } finally { await qr.release(); }
        };
        for (let i = 0; i < migrations.length && (await hasPolicy()); i++) await ds.undoLastMigration();
        expect(await hasPolicy()).to.equal(false);
        await ds.query("INSERT INTO user_groups (id, name, comment) VALUES (7, 'ug', '')");
        await ds.query("INSERT INTO host_groups (id, name, comment) VALUES (8, 'hg', '')");
        await ds.query("INSERT INTO acls (id, host_pattern, action, weight, comment) VALUES (9, 'web-*', 'deny', 3, 'old')");
        await ds.query('INSERT INTO user_group_acls (user_group_id, acl_id) VALUES (7, 9)');
        await ds.query('INSERT INTO host_group_acls (host_group_id, acl_id) VALUES (8, 9)');
        await ds.runMigrations();
        const [row] = await ds.query<Record<string, unknown>[]>('SELECT * FROM acls WHERE id = 9');
        expect(row).to.include({
          host_pattern: 'web-*', action: 'deny', weight: 3, comment: 'old',
          shell: 'yes', exec: 'yes', file_copy: 'yes', local_forward: 'any', remote_forward: 'any', agent_forward: 'yes', x11: 'yes',
        });
        expect(await ds.query('SELECT * FROM user_group_acls WHERE acl_id = 9')).to.have.length(1);
        expect(await ds.query('SELECT * FROM host_group_acls WHERE acl_id = 9')).to.have.length(1);
      } finally {
        await ds.destroy();
      }
    });
  });
}
