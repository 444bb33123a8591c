import { expect } from 'chai';
import { Event, Host, NodeRow, Session } from '../../lib/db/entities/index.js';
import { activeSessionCounts, activeSessionsOf, closeLostSession, removeNode, upsertNode } from '../../lib/db/queries/nodes.js';
import { drivers, suiteDatabase } from '../support/databases.js';

for (const driver of drivers) {
  describe(`db on ${driver}: the nodes table and closing a lost node's sessions`, function () {
    this.timeout(60_000);
    const suite = suiteDatabase(driver);

    it('upserts one row per name, even when two writers race on a new name; removes only its own incarnation', async () => {
      const m = suite.db.manager;
      const t = new Date('2026-01-01T00:00:00.123Z');
      const beat = (address: string, startedAt = t) => ({ name: 'n1', address, version: 'v', startedAt, heartbeatAt: new Date() });
      await Promise.all([upsertNode(m, beat('a:1')), upsertNode(m, beat('b:1')), upsertNode(m, beat('c:1'))]);
      expect(await m.countBy(NodeRow, { name: 'n1' })).to.equal(1);
      await upsertNode(m, beat('d:1'));
      expect((await m.findOneByOrFail(NodeRow, { name: 'n1' })).address).to.equal('d:1');
      // A later run took the name: the earlier run's clean shutdown must not remove the row.
      await removeNode(m, 'n1', new Date(t.getTime() - 1000));
      expect(await m.countBy(NodeRow, { name: 'n1' })).to.equal(1);
      await removeNode(m, 'n1', t);
      expect(await m.countBy(NodeRow, { name: 'n1' })).to.equal(0);
    });

    it('closes a session once however many nodes close it at the same time, with one event', async () => {
      const m = suite.db.manager;
      const host = await m.save(m.create(Host, { name: 'web', addr: 'web:22' }));
      const row = (node: string) => m.create(Session, { status: 'active', userId: null, hostId: host.id, stoppedAt: null, errMsg: null, comment: '', node, remoteAddr: '', recordings: null });
      const [s1, s2] = await m.save([row('gone'), row('gone'), row('alive')]);
      expect(await activeSessionCounts(m)).to.deep.equal(new Map([['gone', 2], ['alive', 1]]));
      const lost = await activeSessionsOf(m, 'gone', 1);
      expect(lost).to.have.length(1);
      expect(lost[0]).to.include({ id: s1?.id, hostName: 'web' });
      // The reaper pages past live rows: a pass can start after the last id it read.
      expect((await activeSessionsOf(m, 'gone', 5, s1?.id)).map((s) => s.id)).to.deep.equal([s2?.id]);
      const target = lost[0];
      const close = (): Promise<boolean> => closeLostSession(suite.db, target, 'gone', 'node gone lost', new Date());
      // MySQL: five nodes at once (a pool, real concurrent transactions). SQLite is one node on one
      // connection whose transactions cannot overlap: there, the later calls come one after the other.
      const results = driver === 'mysql' ? await Promise.all(Array.from({ length: 5 }, close)) : [await close(), await close(), await close()];
      expect(results.filter(Boolean)).to.have.length(1);
      expect(await m.findOneByOrFail(Session, { id: target.id })).to.include({ status: 'closed', errMsg: 'node gone lost' });
      const events = await m.findBy(Event, { domain: 'session', action: 'lost' });
      expect(events.map((e) => [e.entity, JSON.parse(e.args ?? '{}') as unknown])).to.deep.equal([['web', { session_id: target.id, node: 'gone', error: 'node gone lost' }]]);
      expect(await activeSessionCounts(m)).to.deep.equal(new Map([['gone', 1], ['alive', 1]]));
    });
  });
}
