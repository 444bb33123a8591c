import { expect } from 'chai';
import type { Database } from '../../../lib/db/database.js';
import { User } from '../../../lib/db/entities/index.js';
import { recordEvent } from '../../../lib/db/events.js';
import { runVerify } from '../../../cmd/verify.js';
import { drivers, freshDb, type TestDb } from '../../support/databases.js';
import { openNode } from './fixture.js';

async function verify(testDb: TestDb): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await runVerify({ dbDriver: testDb.flags.driver, dbConn: testDb.flags.conn }, {}, (s) => { text += s; });
  return { code, text };
}

/**
 * `n` appends from one node: half alone, half inside transactions that also
 * change a user row (as shell commands do). One SQLite connection runs one
 * typeorm transaction at a time (as the portal's shell does), so there they queue.
 */
const queues = new WeakMap<Database, Promise<unknown>>();

function burst(db: Database, node: string, n: number, adminId: number): Promise<unknown>[] {
  const tx = (i: number): Promise<unknown> => db.transaction(async (m) => {
    await m.update(User, { id: adminId }, { comment: `${node}-${i}` });
    await recordEvent(m, { authorId: adminId, domain: 'user', action: 'update', entity: `${node}-${i}` });
  });
  return Array.from({ length: n }, (_, i) => {
    if (i % 2 === 0) return recordEvent(db.manager, { authorId: null, domain: 'session', action: 'connect', entity: `${node}-${i}` });
    if (db.driver === 'mysql') return tx(i);
    const next = (queues.get(db) ?? Promise.resolve()).then(() => tx(i));
    queues.set(db, next);
    return next;
  });
}

for (const driver of drivers) {
  // Nodes of a cluster share MySQL; SQLite is one portal process, so there "two nodes" are two bursts on one connection.
  describe(`audit chain on ${driver} with ${driver === 'mysql' ? 'two nodes' : 'one node'} writing at once`, function () {
    this.timeout(120_000);
    let testDb: TestDb;
    before(async function () { testDb = await freshDb(this, driver); });
    after(async () => { await testDb?.drop(); });

    it('stays one chain (no fork, no gap) under concurrent appends, and survives a restart', async () => {
      // Signed every 10 events: the verifier requires a checkpoint at every 100th, so an interval must divide 100.
      const a = await openNode(testDb, 'node-a', 10);
      const b = driver === 'mysql' ? await openNode(testDb, 'node-b', 10) : a;
      const adminId = (await a.manager.findOneByOrFail(User, { name: 'admin' })).id;
      try {
        await Promise.all([...burst(a, 'a', 60, adminId), ...burst(b, 'b', 60, adminId)]);
      } finally {
        await a.close();
        if (b !== a) await b.close();
      }
      let r = await verify(testDb);
      expect(r.text).to.match(/^OK: 120 events, 0 recordings verified$/m);
      expect(r.code).to.equal(0);
      // Restart: a node opened again continues the same chain.
      const c = await openNode(testDb, 'node-a', 10);
      try {
        for (let i = 0; i < 3; i++) await recordEvent(c.manager, { authorId: null, domain: 'auth', action: 'failure', entity: `after-${i}` });
        const [max] = await c.ds.query<{ s: unknown; n: unknown }[]>('SELECT MAX(seq) AS s, COUNT(*) AS n FROM events');
        expect([Number(max?.s), Number(max?.n)]).to.deep.equal([123, 123]);
        const nodes = await c.ds.query<{ node: string }[]>('SELECT DISTINCT node FROM audit_checkpoints ORDER BY node');
        expect(nodes.map((x) => x.node)).to.deep.equal(driver === 'mysql' ? ['node-a', 'node-b'] : ['node-a']);
      } finally {
        await c.close();
      }
      r = await verify(testDb);
      expect(r.text).to.match(/^OK: 123 events, 0 recordings verified$/m);
    });
  });
}
