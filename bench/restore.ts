/**
 * `config restore` at scale (`npx tsx bench/restore.ts`): seeds a SQLite
 * portal database with an audit trail of small events and some sessions,
 * takes its backup, then restores that backup through runShell, as an SSH
 * session would, BENCH_RUNS times: wall time, the longest the event loop was
 * held (what every other connection of the portal waited: better-sqlite3 is
 * synchronous), and the exit code.
 *
 * Env: BENCH_EVENTS (default 100000), BENCH_SESSIONS (default 10000), BENCH_RUNS (default 2).
 */
import { backupDocument, readBackup } from '../lib/db/backup/export.js';
import { jsonChunks } from '../lib/shell/render/json.js';
import { insertRows, runCommand, withSeededDatabase } from './shell-run.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);

/** A date string both drivers take, `i` seconds after 2024-01-01. */
function at(i: number): string {
  return new Date(Date.parse('2024-01-01T00:00:00Z') + i * 1000).toISOString().replace('T', ' ').replace('Z', '');
}

await withSeededDatabase(`${EVENTS} events and ${SESSIONS} sessions`, async (db) => {
  await insertRows(db, 'events', ['created_at', 'updated_at', 'author_id', 'domain', 'action', 'entity', 'args'], EVENTS,
    (i) => [at(i), at(i), 1, 'host', 'update', `host${i}`, JSON.stringify({ name: `host${i}`, comment: 'a comment' })], 500);
  await insertRows(db, 'sessions', ['created_at', 'updated_at', 'stopped_at', 'status', 'user_id', 'host_id', 'comment', 'node', 'remote_addr'], SESSIONS,
    (i) => [at(i), at(i), at(i + 60), 'closed', 1, null, '', 'n1', '10.0.0.1:5000'], 500);
}, async (db, deps) => {
  const doc = await backupDocument(await readBackup(db, { ignoreEvents: false }), { cipher: db.cipher, decrypt: false, now: new Date() });
  const pieces: string[] = [];
  for await (const piece of jsonChunks(doc, true)) pieces.push(piece);
  const text = pieces.join('');
  console.log(`backup: ${text.length} characters`);
  for (let i = 0; i < RUNS; i++) {
    const r = await runCommand(deps, db, 'config restore --confirm', text);
    console.log(`config restore     ${r.ms.toFixed(0).padStart(6)} ms  loop held ${r.heldMs.toFixed(0).padStart(5)} ms  exit ${r.code}${r.code === 0 ? '' : `  ${r.err}`}`);
  }
});
