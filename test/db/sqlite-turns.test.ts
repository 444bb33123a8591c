/**
 * A write made outside any transaction never joins another caller's open
 * transaction (on SQLite they share the one connection) and so never rolls
 * back with it: an audit event or a session row the bastion writes while an
 * admin command's transaction awaits is still there after that command fails.
 */
import { expect } from 'chai';
import { Event, HostGroup, Session } from '../../lib/db/entities/index.js';
import { recordEvent } from '../../lib/db/events.js';
import { sqlOf } from '../../lib/db/sql.js';
import { maxWaitMs } from '../../lib/db/sqlite-turns.js';
import { drivers, suiteDatabase } from '../support/databases.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const driver of drivers) {
  describe(`db: writes outside a transaction keep out of others' (${driver})`, () => {
    const suite = suiteDatabase(driver);

    /** A transaction that writes, awaits `holdMs`, then fails (rolled back). */
    const failingCommand = (name: string, holdMs: number): Promise<string> => suite.db.transaction(async (m) => {
      await m.save(m.create(HostGroup, { name }));
      await recordEvent(m, { authorId: null, domain: 'hostgroup', action: 'create', entity: name });
      await sleep(holdMs);
      throw new Error('the command failed');
    }).then(() => 'committed', () => 'rolled back');

    it('an event and a session row written while it awaits survive its rollback; its own event does not', async () => {
      const command = failingCommand('doomed', 60);
      await sleep(15);
      await recordEvent(suite.db.manager, { authorId: null, domain: 'session', action: 'connect', entity: 'web' });
      const w = await sqlOf(suite.db.manager).write('INSERT INTO sessions (status, node, remote_addr) VALUES (?, ?, ?)', ['active', 'n1', '127.0.0.1:1']);
      expect(await command).to.equal('rolled back');
      const m = suite.db.manager;
      expect(await m.countBy(HostGroup, { name: 'doomed' })).to.equal(0);
      expect(await m.countBy(Event, { domain: 'hostgroup', entity: 'doomed' })).to.equal(0);
      expect(await m.countBy(Event, { domain: 'session', action: 'connect', entity: 'web' })).to.equal(1);
      expect(await m.countBy(Session, { id: w.insertId })).to.equal(1);
    });

    it('the chain stays whole: the waiting event takes the next number after the transaction', async () => {
      const command = suite.db.transaction(async (m) => {
        await recordEvent(m, { authorId: null, domain: 'hostgroup', action: 'create', entity: 'kept' });
        await sleep(40);
      });
      await sleep(10);
      await recordEvent(suite.db.manager, { authorId: null, domain: 'session', action: 'exec', entity: 'web' });
      await command;
      const rows = await suite.db.manager.find(Event, { where: [{ entity: 'kept' }, { action: 'exec', entity: 'web' }], order: { seq: 'ASC' } });
      expect(rows.map((e) => e.entity)).to.deep.equal(['kept', 'web']);
      expect(rows[1]?.seq).to.equal((rows[0]?.seq ?? 0) + 1);
    });

    if (driver === 'sqlite3') {
      it(`a write on the plain manager from inside a transaction's own callback does not wait for itself (after ${maxWaitMs} ms it joins)`, async function () {
        this.timeout(maxWaitMs + 10_000);
        const t0 = Date.now();
        await suite.db.transaction(async () => {
          await recordEvent(suite.db.manager, { authorId: null, domain: 'session', action: 'connect', entity: 'self' });
        });
        expect(Date.now() - t0).to.be.below(maxWaitMs + 2_000);
        expect(await suite.db.manager.countBy(Event, { entity: 'self' })).to.equal(1);
      });
    }
  });
}
