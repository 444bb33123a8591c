/**
 * A plain user refused `session stop/replay/export` over and over: each
 * refusal is answered, but one shell session writes at most
 * maxDeniedEventsPerSession events (a million lines wrote a million).
 */
import { expect } from 'chai';
import { Event } from '../../../lib/db/entities/index.js';
import { maxDeniedEventsPerSession } from '../../../lib/shell/commands/session-live.js';
import { drivers } from '../../support/databases.js';
import { openShell, type ShellFixture } from './harness.js';

for (const driver of drivers) {
  describe(`shell: refusals a session records, on ${driver}`, function () {
    let f: ShellFixture;
    before(async function () {
      f = await openShell(this, driver);
      expect((await f.run('user invite --name=plain plain@example.com')).code).to.equal(0);
    });
    after(async () => { await f?.close(); });

    it(`answers every refusal and records the first ${maxDeniedEventsPerSession} of one session`, async () => {
      const lines = Array.from({ length: 200 }, (_, i) => ['session stop 1', 'session replay 2', 'session export 3'][i % 3]).join('\n');
      const r = await f.run(null, { user: 'plain', input: `${lines}\n` });
      expect(r.stderr.match(/^error: session (stop|replay|export) needs the admin role$/gm)).to.have.length(200);
      const denies = await f.db.manager.find(Event, { where: { action: 'deny', domain: 'session' }, order: { id: 'ASC' } });
      expect(denies).to.have.length(maxDeniedEventsPerSession);
      expect(JSON.parse(denies.at(-1)?.args ?? '{}')).to.include({ further_refusals: 'not recorded for this session' });
      // A new session records again: the bound is per session, as a login's own events are.
      await f.run('session stop 1', { user: 'plain' });
      expect(await f.db.manager.countBy(Event, { action: 'deny', domain: 'session' })).to.equal(maxDeniedEventsPerSession + 1);
    });
  });
}
