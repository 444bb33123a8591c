/**
 * Audit chain cost (`npm run bench:audit`): the median time to append one event
 * with the hash chain (successor of the newest event, SHA-256, a signed
 * checkpoint every 100 events) against the same append without it (an internal switch),
 * in one run, on SQLite and — when it answers — MariaDB. Both kinds of append
 * alternate in blocks so drift of the machine hits both alike. Events are
 * written as the bastion writes them: outside any transaction.
 *
 * Env: BENCH_AUDIT_EVENTS (appends per kind and driver, default 2000).
 */
import { setChainDisabled, setChainSigner } from '../lib/db/chain/append.js';
import { loadSigner } from '../lib/db/chain/signer.js';
import { bootstrap } from '../lib/db/bootstrap.js';
import { openDatabase, type Database } from '../lib/db/database.js';
import { recordEvent } from '../lib/db/events.js';
import { freshMariaDb, mariadbAvailable } from '../test/support/mariadb.js';
import { tempDir } from '../test/support/keys.js';
import { median, table } from './measure.js';

const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 2000);
const BLOCK = 50;

async function append(db: Database, i: number): Promise<number> {
  const started = process.hrtime.bigint();
  await recordEvent(db.manager, { authorId: null, domain: 'session', action: 'connect', entity: `web${i % 10}`,
    args: { session_id: i, remote_addr: '127.0.0.1:50000' } });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Median ms per append [without chain, with chain]. */
async function measure(db: Database): Promise<[number, number]> {
  setChainSigner(db.ds, await loadSigner(db, 'bench'));
  for (let i = 0; i < 200; i++) await append(db, i);
  const plain: number[] = [];
  const chained: number[] = [];
  for (let done = 0; done < EVENTS; done += BLOCK) {
    setChainDisabled(db.ds, true);
    for (let i = 0; i < BLOCK; i++) plain.push(await append(db, done + i));
    setChainDisabled(db.ds, false);
    for (let i = 0; i < BLOCK; i++) chained.push(await append(db, done + i));
  }
  return [median(plain), median(chained)];
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  const dir = tempDir('sshportal-bench-audit-');
  try {
    const sqlite = await openDatabase({ driver: 'sqlite3', path: `${dir.path}/bench.db` }, null);
    await bootstrap(sqlite, { adminInviteToken: null });
    try {
      const [a, b] = await measure(sqlite);
      rows.push(['SQLite', a.toFixed(3), b.toFixed(3), (b - a).toFixed(3)]);
    } finally {
      await sqlite.close();
    }
    if (await mariadbAvailable()) {
      const maria = await freshMariaDb();
      const db = await openDatabase(maria.config, null);
      await bootstrap(db, { adminInviteToken: null });
      try {
        const [a, b] = await measure(db);
        rows.push(['MariaDB', a.toFixed(3), b.toFixed(3), (b - a).toFixed(3)]);
      } finally {
        await db.close();
        await maria.drop();
      }
    }
  } finally {
    dir.remove();
  }
  process.stdout.write(table(['database', 'append ms (no chain)', 'append ms (chain)', 'added ms'], rows) + '\n');
}

await main();
