import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../lib/db/data-source.js';
import { migrations } from '../../migrations/index.js';
import { drivers, freshDb, type TestDb } from '../support/databases.js';

const tables = ['ssh_keys', 'hosts', 'host_groups', 'user_groups', 'user_roles', 'users', 'user_keys', 'acls', 'sessions',
  'events', 'settings', 'host_host_groups', 'user_user_groups', 'user_user_roles', 'user_group_acls', 'host_group_acls', 'nodes',
  'audit_checkpoints', 'audit_keys', 'tunnel_keys', 'tunnel_invites'];

/** Which of the schema's tables exist. */
async function existing(ds: DataSource): Promise<string[]> {
  const qr = ds.createQueryRunner();
  try {
    const found: string[] = [];
    for (const t of tables) if (await qr.hasTable(t)) found.push(t);
    return found;
  } finally {
    await qr.release();
  }
}

for (const driver of drivers) {
  describe(`migrations on ${driver}`, function () {
    let db: TestDb;
    before(async function () { db = await freshDb(this, driver); });
    after(async () => { await db?.drop(); });

    it('run up, down and up again, and leave the schema exactly as the entities describe it', async () => {
      const ds = createDataSource(db.config);
      await ds.initialize();
      try {
        await ds.runMigrations();
        expect(await existing(ds)).to.deep.equal(tables);
        for (let i = 0; i < migrations.length; i++) await ds.undoLastMigration();
        expect(await existing(ds)).to.deep.equal([]);
        await ds.runMigrations();
        const pending = await ds.driver.createSchemaBuilder().log();
        expect(pending.upQueries.map((q) => q.query)).to.deep.equal([]);
        expect(await ds.showMigrations()).to.equal(false);
      } finally {
        await ds.destroy();
      }
    });
  });
}
