import { expect } from 'chai';
import { Event } from '../../lib/db/entities/index.js';
import { recordEvent } from '../../lib/db/events.js';
import { drivers, suiteDatabase } from '../support/databases.js';

for (const driver of drivers) {
  describe(`db: audit events keep no secret (${driver})`, function () {
    const suite = suiteDatabase(driver);

    it('the stored arguments are redacted, in a transaction or not', async () => {
      await recordEvent(suite.db.manager, { authorId: null, domain: 'host', action: 'create', entity: 'web', args: { url: 'ssh://web', password: 'hunter2' } });
      await suite.db.transaction((m) => recordEvent(m, { authorId: null, domain: 'user', action: 'update', entity: 'bob', args: { invite_token: 'tok123' } }));
      const rows = await suite.db.manager.find(Event, { order: { id: 'ASC' } });
      const text = rows.map((r) => r.args ?? '').join('\n');
      expect(text).to.not.include('hunter2').and.not.include('tok123');
      expect(rows.map((r) => JSON.parse(r.args ?? 'null') as unknown)).to.deep.equal([
        { url: 'ssh://web', password: '[redacted]' },
        { invite_token: '[redacted]' },
      ]);
    });
  });
}
