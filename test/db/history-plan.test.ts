/**
 * `event ls` and `session ls` read a page from the (created_at, id) indexes
 * instead of sorting the whole table: the plans of the queries they run
 * (lib/db/queries/history.ts), on both drivers. On 1M events an unindexed
 * page took ~1 s of SQLite, i.e. of the portal's blocked event loop.
 *
 * Plans are deterministic here: SQLite without statistics (the portal never
 * runs ANALYZE) assumes a large table whatever it holds; MariaDB chooses by
 * cost from InnoDB's statistics, which ANALYZE TABLE makes current (they are
 * otherwise recomputed in the background). On 2,000 short rows MariaDB still
 * sorts the table for a 100-row page (cheaper than 100 lookups there; on
 * ~10,000 real rows it takes the index), so its page-1 check is `--latest`.
 */
import { expect } from 'chai';
import type { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { eventPageQuery, listEvents, listSessions, sessionPageQuery, type Page } from '../../lib/db/queries/history.js';
import { drivers, suiteDatabase } from '../support/databases.js';

const rows = 2000;

/** The plan lines of `qb` for table alias `r`: SQLite's details, MySQL's `type key Extra`. */
async function planOf(m: EntityManager, driver: (typeof drivers)[number], qb: SelectQueryBuilder<ObjectLiteral>): Promise<string[]> {
  const [sql, params] = qb.getQueryAndParameters();
  if (driver === 'sqlite3') {
    const plan = await m.query<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`, params);
    return plan.map((p) => p.detail).filter((d) => !/SCALAR SUBQUERY|USING INTEGER PRIMARY KEY/.test(d));
  }
  const plan = await m.query<{ table: string | null; type: string; key: string | null; Extra: string | null }[]>(`EXPLAIN ${sql}`, params);
  return plan.filter((p) => p.table === 'r').map((p) => `${p.type} ${p.key ?? '-'} ${p.Extra ?? ''}`.trim());
}

/** Multi-row inserts of `rows` events and sessions (every tenth session live), `at(i)` their dates. */
async function fill(m: EntityManager, at: (i: number) => string): Promise<void> {
  for (let start = 0; start < rows; start += 500) {
    const ids = Array.from({ length: 500 }, (_, k) => start + k);
    await m.query(`INSERT INTO events (created_at, updated_at, domain, action, entity) VALUES ${ids.map(() => "(?, ?, 'auth', 'failure', 'x')").join(', ')}`,
      ids.flatMap((i) => [at(i), at(i)]));
    await m.query(`INSERT INTO sessions (created_at, updated_at, status, node, remote_addr, comment) VALUES ${ids.map(() => "(?, ?, ?, 'n1', '', '')").join(', ')}`,
      ids.flatMap((i) => [at(i), at(i), i % 10 === 0 ? 'active' : 'closed']));
  }
}

for (const driver of drivers) {
  describe(`db: history listings read their order from an index (${driver})`, function () {
    this.timeout(30_000);
    const suite = suiteDatabase(driver);
    const sqlite = driver === 'sqlite3';
    const page = (limit: number, before: number | null = null): Page => ({ limit, offset: 0, before });

    before(async () => {
      // Dates shuffled against ids (as imported rows may be), four rows a second: ties on created_at, broken by id.
      const base = Date.parse('2024-01-01T00:00:00Z');
      await fill(suite.db.manager, (i) => new Date(base + Math.floor(((i * 7919) % rows) / 4) * 1000).toISOString().replace('T', ' ').replace('Z', ''));
      if (!sqlite) await suite.db.manager.query('ANALYZE TABLE events, sessions');
    });

    /** Asserts that `qb` walks index `name` (a range when `range`), with no sort of its own. */
    async function expectIndexOrder(qb: SelectQueryBuilder<ObjectLiteral>, name: string, range: boolean): Promise<void> {
      const plan = await planOf(suite.db.manager, driver, qb);
      if (sqlite) {
        expect(plan, plan.join('\n')).to.have.length(1);
        expect(plan[0]).to.match(new RegExp(`^${range ? 'SEARCH' : 'SCAN'} r USING (COVERING )?INDEX ${name}\\b`));
      } else {
        expect(plan, plan.join('\n')).to.deep.equal([`${range ? 'range' : 'index'} ${name}${range ? ' Using where' : ''}`]);
      }
    }

    it('a first page of events or sessions scans the index from its newest end, no sort', async () => {
      const m = suite.db.manager;
      for (const limit of sqlite ? [1, 100] : [1]) {
        await expectIndexOrder(eventPageQuery(m, page(limit)), 'idx_events_created', false);
        await expectIndexOrder(sessionPageQuery(m, page(limit), false), 'idx_sessions_created', false);
      }
    });

    it('a page below a row deep in the trail is an index range from that row, no sort', async () => {
      const m = suite.db.manager;
      await expectIndexOrder(eventPageQuery(m, page(100, 50)), 'idx_events_created', true);
      await expectIndexOrder(sessionPageQuery(m, page(100, 50), false), 'idx_sessions_created', true);
    });

    it('session ls --active reads the live rows through an index, never the whole table', async () => {
      const plan = await planOf(suite.db.manager, driver, sessionPageQuery(suite.db.manager, page(100), true));
      if (sqlite) expect(plan[0]).to.match(/^SEARCH r USING (COVERING )?INDEX idx_sessions_status \(status=\?\)/);
      else expect(plan[0]).to.match(/^(ref idx_sessions_status|index idx_sessions_created) /);
    });

    it('pages below a row continue the listing exactly, through ties on created_at', async () => {
      const m = suite.db.manager;
      const all = (await listEvents(m, page(rows))).map((e) => e.id);
      expect(all).to.have.length(rows);
      for (const at of [1, 2, 3, 7]) {
        const below = (await listEvents(m, page(5, all[at] ?? 0))).map((e) => e.id);
        expect(below).to.deep.equal(all.slice(at + 1, at + 6));
      }
      const live = (await listSessions(m, page(rows), true)).map((s) => s.id);
      expect(live).to.have.length(rows / 10);
      expect((await listSessions(m, page(3, live[4] ?? 0), true)).map((s) => s.id)).to.deep.equal(live.slice(5, 8));
    });
  });
}
