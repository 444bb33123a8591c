/**
 * A restore of the portal's own backup whatever its rows weigh: its INSERTs
 * stay under MariaDB's packet bound (16 MiB by default). 200 large sessions
 * in one statement were refused (`database unavailable`) and the restore
 * rolled back.
 */
import { expect } from 'chai';
import { Session } from '../../../lib/db/entities/index.js';
import { openShell, type ShellFixture } from './harness.js';

describe('shell config restore of heavy rows (mysql)', function () {
  let f: ShellFixture;
  before(async function () { f = await openShell(this, 'mysql'); });
  after(async () => { await f?.close(); });

  it("restores 250 sessions of ~75 KB each (~19 MB, more than one packet in 200-row statements), and the next backup is the same", async () => {
    const at = new Date('2024-01-01T00:00:00Z');
    // JSON lists of ~30 KB each, with quotes to escape.
    const list = (prefix: string, n: number): string => JSON.stringify(Array.from({ length: n }, (_, i) => `${prefix}/"${i}"/${'x'.repeat(32)}`));
    // Commands within what the portal keeps of them (MAX_COMMANDS_JSON_CHARS): a restore would cut more.
    const [recordings, commands] = [list('2024/01/01/session', 600), list('exec: tail -f /var/log', 200)];
    const seals = JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ path: `2024/01/01/s${i}.cast`, length: i, sha256: 'a'.repeat(64) })));
    for (let i = 0; i < 250; i += 25) {
      await f.db.manager.createQueryBuilder().insert().into(Session).values(Array.from({ length: 25 }, () => ({
        createdAt: at, updatedAt: at, status: 'closed', node: 'n1', recordings, commands, seals,
      }))).execute();
    }
    const b1 = await f.run('config backup');
    expect(b1.code, b1.stderr).to.equal(0);
    expect(b1.stdout.length).to.be.above(16 * 2 ** 20);
    const r = await f.run('config restore --confirm', { input: b1.stdout });
    expect(r.code, r.stderr).to.equal(0);
    const b2 = await f.run('config backup');
    const sessions = (s: string): unknown => (JSON.parse(s) as { sessions: unknown }).sessions;
    expect(sessions(b2.stdout)).to.deep.equal(sessions(b1.stdout));
  });
});
