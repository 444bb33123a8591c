import { In, type DeepPartial, type EntityManager, type EntityTarget, type FindOptionsRelations, type FindOptionsSelect, type FindOptionsWhere, type ObjectLiteral } from 'typeorm';
import { InvalidArgumentError, NotFoundError } from '../../errors.js';

/** Identifiers split into numeric ids and names (sshportal: all digits means an id). Pure. */
export function splitIdentifiers(identifiers: readonly string[]): { ids: number[]; names: string[] } {
  const ids: number[] = [];
  const names: string[] = [];
  for (const raw of identifiers) {
    if (/^\d+$/.test(raw) && Number(raw) <= Number.MAX_SAFE_INTEGER) ids.push(Number(raw));
    else names.push(raw);
  }
  return { ids, names };
}

/** Parses identifiers that can only be ids (ACLs, user keys, sessions, events). Pure. */
function parseIds(identifiers: readonly string[], what: string): number[] {
  return identifiers.map((raw) => {
    if (!/^\d+$/.test(raw) || Number(raw) > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError(`invalid ${what} id '${raw}': expected a number`);
    return Number(raw);
  });
}

/** Names an error lists at most; past them it says how many more. */
const maxNamedInMessage = 10;

/** `unknown host 'a'` / `unknown hosts 'a', 'b'` (each once, ten at most, then how many more). Pure. */
export function unknownMessage(what: string, missing: readonly string[]): string {
  const distinct = [...new Set(missing)];
  const shown = distinct.slice(0, maxNamedInMessage).map((m) => `'${m}'`).join(', ');
  const more = distinct.length > maxNamedInMessage ? ` and ${distinct.length - maxNamedInMessage} more` : '';
  return distinct.length === 1 ? `unknown ${what} ${shown}` : `unknown ${what}s ${shown}${more}`;
}

/**
 * Identifiers one command takes at most (`inspect`, `rm`, `update`): 12,000
 * on one line cost seconds of the event loop and hundreds of MB of output,
 * and past 16,383 names SQLite refused the query.
 */
export const maxIdentifiers = 1_000;

/** Throws when a command names more than {@link maxIdentifiers} rows. */
export function checkIdentifierCount(identifiers: readonly string[], what: string): void {
  if (identifiers.length > maxIdentifiers) throw new InvalidArgumentError(`too many ${what}s: at most ${maxIdentifiers} at a time`);
}

/** Whether a driver error is a unique-key violation (SQLite or MySQL/MariaDB). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown; driverError?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'ER_DUP_ENTRY' || e.errno === 1062) return true;
  return e.driverError !== undefined && e.driverError !== err && isUniqueViolation(e.driverError);
}

/**
 * The row each identifier names (`answersTo` lists what a row answers to: its
 * id, its name…; the first row in `rows` wins), in the order given, without
 * duplicates; unknown ones throw NotFoundError. Linear: looked up in a map.
 */
export function orderByIdentifiers<T extends { id: number }>(
  rows: readonly T[], identifiers: readonly string[], what: string, answersTo: (row: T) => readonly string[],
): T[] {
  const byIdent = new Map<string, T>();
  for (const r of rows) for (const ident of answersTo(r)) if (!byIdent.has(ident)) byIdent.set(ident, r);
  const out = new Set<T>();
  const missing: string[] = [];
  for (const ident of identifiers) {
    const row = byIdent.get(ident);
    if (!row) missing.push(ident);
    else out.add(row);
  }
  if (missing.length > 0) throw new NotFoundError(unknownMessage(what, missing));
  return [...out];
}

/** Anything with an id and a unique name. */
export interface Named extends ObjectLiteral { id: number; name: string }

/**
 * Finds named rows by id or name (sshportal's GenericNameOrID), in the order
 * given; any unknown identifier throws NotFoundError naming it.
 */
export async function findNamed<T extends Named>(
  m: EntityManager, entity: EntityTarget<T>, identifiers: readonly string[], what: string, relations?: FindOptionsRelations<T>,
): Promise<T[]> {
  if (identifiers.length === 0) return [];
  checkIdentifierCount(identifiers, what);
  const { ids, names } = splitIdentifiers(identifiers);
  const where: FindOptionsWhere<T>[] = [];
  if (ids.length > 0) where.push({ id: In(ids) } as FindOptionsWhere<T>);
  if (names.length > 0) where.push({ name: In(names) } as FindOptionsWhere<T>);
  const rows = await m.find(entity, { where, relations });
  return orderByIdentifiers(rows, identifiers, what, (r) => [String(r.id), r.name]);
}

/** Finds rows by numeric ids, in the order given; unknown ids throw NotFoundError. */
export async function findByIds<T extends ObjectLiteral & { id: number }>(
  m: EntityManager, entity: EntityTarget<T>, identifiers: readonly string[], what: string, relations?: FindOptionsRelations<T>,
): Promise<T[]> {
  checkIdentifierCount(identifiers, what);
  const ids = parseIds(identifiers, what);
  if (ids.length === 0) return [];
  const rows = await m.find(entity, { where: { id: In(ids) } as FindOptionsWhere<T>, relations });
  return orderByIdentifiers(rows, identifiers, what, (r) => [String(r.id)]);
}

/** Throws AlreadyExistsError-style conflicts early: whether another row already has `name`. */
export async function nameTaken<T extends Named>(m: EntityManager, entity: EntityTarget<T>, name: string, exceptId?: number): Promise<boolean> {
  const row = await m.findOne(entity, { where: { name } as FindOptionsWhere<T>, select: { id: true } as FindOptionsSelect<T> });
  return row !== null && row.id !== exceptId;
}

/** Pairs of a many-to-many join table, read in one query, ordered by both ids. */
export async function joinPairs(m: EntityManager, table: string, left: string, right: string, leftIds?: readonly number[]): Promise<[number, number][]> {
  // Ordered, so that listings and backups do not depend on insertion order.
  const qb = m.createQueryBuilder().select(`j.${left}`, 'l').addSelect(`j.${right}`, 'r').from(table, 'j').orderBy(`j.${left}`).addOrderBy(`j.${right}`);
  if (leftIds) {
    if (leftIds.length === 0) return [];
    qb.where(`j.${left} IN (:...ids)`, { ids: [...leftIds] });
  }
  const raw: { l: unknown; r: unknown }[] = await qb.getRawMany();
  return raw.map((p) => [Number(p.l), Number(p.r)]);
}

/** Groups pairs by their left id. Pure. */
export function groupPairs(pairs: readonly [number, number][]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const [l, r] of pairs) {
    const list = out.get(l);
    if (list) list.push(r);
    else out.set(l, [r]);
  }
  return out;
}

/**
 * Changes the many-to-many links of one row as sshportal does (assign, then
 * unassign: an id in both lists ends unlinked), skipping no-op links.
 */
export async function relink<T extends ObjectLiteral>(
  m: EntityManager, entity: EntityTarget<T>, relation: string, id: number, add: readonly number[], remove: readonly number[],
): Promise<void> {
  if (add.length === 0 && remove.length === 0) return;
  const rel = () => m.createQueryBuilder().relation(entity, relation).of(id);
  const current = new Set((await rel().loadMany<{ id: number }>()).map((x) => x.id));
  const toAdd = [...new Set(add)].filter((x) => !current.has(x) && !remove.includes(x));
  const toRemove = [...new Set(remove)].filter((x) => current.has(x));
  await rel().addAndRemove(toAdd, toRemove);
}

/** Inserts one row (relations given as objects are linked too) and returns it with its id. */
export function insertRow<T extends ObjectLiteral>(m: EntityManager, entity: EntityTarget<T>, values: DeepPartial<T>): Promise<T> {
  return m.save(m.create(entity, values));
}

/** Writes the changed columns of a loaded row. */
export function saveRow<T extends ObjectLiteral>(m: EntityManager, row: T): Promise<T> {
  return m.save(row);
}

/** Deletes rows by id (nothing when `ids` is empty). */
export async function deleteRows<T extends ObjectLiteral>(m: EntityManager, entity: EntityTarget<T>, ids: readonly number[]): Promise<void> {
  if (ids.length > 0) await m.delete(entity, [...ids]);
}
