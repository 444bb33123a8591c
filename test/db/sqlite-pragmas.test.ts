import { expect } from 'chai';
import { createDataSource } from '../../lib/db/data-source.js';
import { freshDb, type TestDb } from '../support/databases.js';

describe('SQLite connection settings', function () {
  let db: TestDb;
  before(async function () { db = await freshDb(this, 'sqlite3'); });
  after(async () => { await db?.drop(); });

  it('WAL, commits without a disk flush each (synchronous NORMAL = 1), overwritten content zeroed', async () => {
    const ds = createDataSource(db.config);
    await ds.initialize();
    try {
      const one = async (pragma: string): Promise<unknown> => Object.values((await ds.query<Record<string, unknown>[]>(`PRAGMA ${pragma}`))[0] ?? {})[0];
      expect([await one('journal_mode'), await one('synchronous'), await one('secure_delete')]).to.deep.equal(['wal', 1, 1]);
    } finally {
      await ds.destroy();
    }
  });
});
