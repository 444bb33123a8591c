/**
 * SQLite appends run as one synchronous better-sqlite3 transaction on the
 * portal's single connection: nothing else can run between reading the newest
 * event and inserting its successor (no await inside), BEGIN IMMEDIATE takes
 * the write lock before the read, and inside an open typeorm transaction it
 * becomes a savepoint of it. Not a typeorm transaction: two of those cannot overlap on
 * one SQLite connection, and bastion events arrive while shell commands run.
 */
import type { DataSource } from 'typeorm';
import { checkpointMessage, eventHash } from './encoding.js';
import { chainHead, type HeadRow } from './head.js';
import type { ChainSigner } from './signer.js';
import { sqliteConnection, type SqliteConnection } from '../sqlite-connection.js';

/** What one append writes, as the caller chose it. */
export interface SqliteEventValues {
  authorId: number | null;
  domain: string;
  action: string;
  entity: string;
  args: string | null;
}

/** typeorm's SQLite datetime text (UTC, milliseconds), so the ORM reads the same instant back. */
function sqliteDate(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

type Append = (v: SqliteEventValues, signer: ChainSigner | undefined, checkpoint: boolean) => void;

const appenders = new WeakMap<DataSource, Append>();

function build(db: SqliteConnection): Append {
  const head = db.prepare('SELECT id, seq, hash FROM events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare(`INSERT INTO events (created_at, updated_at, author_id, domain, action, entity, args, seq, prev_hash, hash, chain_author_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const sign = db.prepare('INSERT INTO audit_checkpoints (created_at, seq, hash, node, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)');
  const run = db.transaction((v: SqliteEventValues, signer: ChainSigner | undefined, checkpoint: boolean) => {
    // A newest row the chain cannot link to throws: the transaction writes nothing.
    const h = chainHead(head.get() as HeadRow | undefined);
    const createdAt = new Date();
    const seq = h.seq + 1;
    const hash = eventHash({ seq, prevHash: h.hash, createdAt, chainAuthorId: v.authorId, domain: v.domain, action: v.action,
      entity: v.entity, args: v.args, deletedAt: null });
    const at = sqliteDate(createdAt);
    insert.run(at, at, v.authorId, v.domain, v.action, v.entity, v.args, seq, h.hash, hash, v.authorId);
    if (signer && (checkpoint || seq % signer.every === 0)) {
      const signature = signer.sign(checkpointMessage({ seq, hash, node: signer.node, createdAt }));
      sign.run(at, seq, hash, signer.node, signer.publicKey, signature);
    }
  });
  return (v, signer, checkpoint) => run.immediate(v, signer, checkpoint);
}

/** Appends one event on a better-sqlite3 data source (synchronously, atomically). */
export function appendSqlite(ds: DataSource, v: SqliteEventValues, signer: ChainSigner | undefined, checkpoint: boolean): void {
  let append = appenders.get(ds);
  if (!append) {
    const db = sqliteConnection(ds);
    if (!db) throw new Error('the SQLite database is not open');
    append = build(db);
    appenders.set(ds, append);
  }
  append(v, signer, checkpoint);
}
