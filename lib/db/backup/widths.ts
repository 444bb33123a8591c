/**
 * The restore's last check: every string fits its column. MySQL refuses a
 * value longer than its VARCHAR (the whole restore then failed as `internal
 * error`, rolled back); SQLite stores it, and the database could then not be
 * backed up into MySQL. The widths are the entities' own declarations.
 */
import { getMetadataArgsStorage } from 'typeorm';
import { Acl, AuditCheckpoint, AuditKey, Event, Host, HostGroup, Session, Setting, SshKey, TunnelKey, User, UserGroup, UserKey, UserRole } from '../entities/index.js';
import { characterCount } from '../../characters.js';
import { quoted } from '../../errors.js';
import { invalid } from './narrow.js';
import type { BackupPlan } from './plan.js';

/** A VARCHAR column: the row property holding it, its name, its width in characters. */
interface Width { property: string; column: string; width: number }

/** The VARCHAR columns of `entity` (declared on it or on a class it extends). */
function widthsOf(entity: abstract new () => object): Width[] {
  const out: Width[] = [];
  for (const c of getMetadataArgsStorage().columns) {
    if (typeof c.target !== 'function' || !(c.target === entity || entity.prototype instanceof c.target)) continue;
    if (c.options.type !== 'varchar' || c.options.length === undefined) continue;
    out.push({ property: c.propertyName, column: c.options.name ?? c.propertyName, width: Number(c.options.length) });
  }
  return out;
}

/** Refuses the first string of `rows` longer than its column, naming the collection, the row and the column; yields after each row. */
function* checkRows(what: string, entity: abstract new () => object, rows: readonly object[]): Generator<undefined> {
  const widths = widthsOf(entity);
  for (const row of rows) {
    yield;
    const values = row as Readonly<Record<string, unknown>>;
    for (const w of widths) {
      const v = values[w.property];
      // Most values are far shorter: code points are counted only past the width in UTF-16 units.
      if (typeof v !== 'string' || v.length <= w.width || characterCount(v) <= w.width) continue;
      // Named as the backup's other errors name rows: by name where the row has one, else by id.
      const row = typeof values.name === 'string' ? ` ${quoted(values.name)}` : typeof values.id === 'number' ? ` ${values.id}` : '';
      throw invalid(`${what}${row}`, `${w.column}: longer than its column holds (${w.width} characters)`);
    }
  }
}

/**
 * Refuses a plan holding a string longer than its column; run after
 * preparation, so that stored forms (encrypted, hashed) are what is checked.
 * Yields after every row, as the preparation does.
 */
export function* checkingWidths(p: BackupPlan): Generator<undefined> {
  const collections: [string, abstract new () => object, readonly object[]][] = [
    ['keys', SshKey, p.keys], ['hosts', Host, p.hosts], ['host_groups', HostGroup, p.hostGroups], ['user_groups', UserGroup, p.userGroups],
    ['roles', UserRole, p.roles], ['users', User, p.users], ['user_keys', UserKey, p.userKeys], ['acls', Acl, p.acls],
    ['settings', Setting, p.settings], ['sessions', Session, p.sessions], ['events', Event, p.events ?? []],
    ['audit_checkpoints', AuditCheckpoint, p.checkpoints], ['tunnel_keys', TunnelKey, p.tunnelKeys],
  ];
  for (const [what, entity, rows] of collections) yield* checkRows(what, entity, rows);
  yield* checkRows('audit_keys', AuditKey, p.auditKeys.map((publicKey) => ({ publicKey })));
}
