import type { Command } from 'commander';
import type { Tx } from '../../db/database.js';
import type { JsonOptions } from '../../db/json/go-json.js';
import { recordEvent } from '../../db/events.js';
import { collect, act, type Invocation } from '../action.js';
import type { ShellContext } from '../context.js';
import type { Access } from '../guard.js';
import { defaultLimit, maxLimit, parsePage } from '../parse/page.js';
import type { Page } from '../../db/queries/history.js';
import { jsonChunks } from '../render/json.js';
import { writePaced } from '../paced-output.js';
import { renderTable } from '../render/table.js';

export { act, collect };

/** Adds `--latest, -l` and `--quiet, -q`, the flags of every `ls`. */
export function lsFlags(cmd: Command, noun: string): Command {
  return cmd.option('-l, --latest', `show the latest ${noun} only`).option('-q, --quiet', 'only display IDs');
}

/** Adds `--limit`, `--offset` and `--before` to the `ls` of a history (events, sessions). */
export function pageFlags(cmd: Command, noun: string): Command {
  return cmd
    .option('--limit <N>', `show at most N ${noun}s, newest first (default ${defaultLimit}, at most ${maxLimit})`)
    .option('--offset <N>', `skip the N newest ${noun}s`)
    .option('--before <ID>', `start below ${noun} ID (the last one of the previous page)`);
}

/** The page an `ls` with {@link pageFlags} asks for. */
export function readPage(inv: Invocation): Page {
  const o = inv.opts;
  return parsePage({ limit: o.string('limit'), offset: o.string('offset'), before: o.string('before'), latest: o.flag('latest') });
}

/** How one `ls` shows its rows. */
export interface ListSpec<T extends { id: number }> {
  columns: readonly string[];
  noun: string;
  row(item: T, now: Date): string[];
}

/** Prints `ls --quiet` output: the ids, one a line. */
function printIds(ctx: ShellContext, items: readonly { id: number }[]): void {
  ctx.out(items.map((i) => `${i.id}\n`).join(''));
}

/** Prints `ls` output: ids only with `--quiet`, else the table and its total line. */
export function printList<T extends { id: number }>(ctx: ShellContext, inv: Invocation, items: readonly T[], spec: ListSpec<T>): void {
  if (inv.opts.flag('quiet')) {
    printIds(ctx, items);
    return;
  }
  const now = ctx.now();
  ctx.out(renderTable({ columns: spec.columns, noun: spec.noun, rows: items.map((i) => spec.row(i, now)) }));
}

/** Prints `inspect` output: a JSON array. */
export async function printJson(ctx: ShellContext, value: unknown): Promise<void> {
  // In pieces, each once the client took the last: a key or group of 10,000 hosts inspects to megabytes.
  await writePaced(ctx, jsonChunks(value));
}

/** What an audit event of a changing command says. */
export interface AuditInput {
  domain: string;
  action: string;
  entity: string;
  args?: Record<string, unknown>;
}

/** Writes the audit event of a changing command, in its transaction. */
export async function audit(m: Tx, ctx: ShellContext, e: AuditInput): Promise<void> {
  await recordEvent(m, { authorId: ctx.who.user.id, domain: e.domain, action: e.action, entity: e.entity, args: e.args });
}

/** Runs a changing command: one transaction, its audit event inside. */
export function change<T>(ctx: ShellContext, fn: (m: Tx) => Promise<T>): Promise<T> {
  return ctx.deps.db.transaction(fn);
}

/** A subcommand taking identifiers: `rm HOST...` and the like. */
export function withIds(parent: Command, name: string, argName: string, description: string): Command {
  return parent.command(name).description(description).argument(`<${argName}...>`);
}

/** How one `ls` reads its rows. */
export interface LsSpec<T extends { id: number }> extends ListSpec<T> {
  fetch(m: Tx, latest: boolean): Promise<T[]>;
  /** The ids alone, in fetch's order (`--quiet` of a long list); without it, `--quiet` fetches the rows. */
  ids?(m: Tx, latest: boolean): Promise<{ id: number }[]>;
}

/** Defines `ls` of a resource. */
export function defineLs<T extends { id: number }>(parent: Command, ctx: ShellContext, access: Access, spec: LsSpec<T>): Command {
  const cmd = lsFlags(parent.command('ls').description(`lists ${spec.noun}`), spec.noun.replace(/s$/, ''));
  return act(cmd, ctx, access, async (inv) => {
    const latest = inv.opts.flag('latest');
    if (spec.ids && inv.opts.flag('quiet')) printIds(ctx, await spec.ids(ctx.deps.db.manager, latest));
    else printList(ctx, inv, await spec.fetch(ctx.deps.db.manager, latest), spec);
  });
}

/** How `inspect` of a resource finds its rows and writes them. */
export interface InspectSpec<T> {
  argName: string;
  noun: string;
  /** Help of `--decrypt` when the resource has secrets; without it, secrets are always redacted. */
  decrypt?: string;
  find(m: Tx, identifiers: string[]): Promise<T[]>;
  /** A row's JSON; asynchronous when it converts much (paced), all of it before anything is written. */
  json(row: T, o: JsonOptions): unknown;
}

/** Defines `inspect ID...` of a resource: a JSON array, secrets redacted unless `--decrypt`. */
export function defineInspect<T>(parent: Command, ctx: ShellContext, spec: InspectSpec<T>): Command {
  const cmd = withIds(parent, 'inspect', spec.argName, `shows detailed information on ${spec.noun}`);
  if (spec.decrypt) cmd.option('--decrypt', spec.decrypt);
  return act(cmd, ctx, ['admin'], async ({ args, opts }) => {
    const rows = await spec.find(ctx.deps.db.manager, args);
    const o: JsonOptions = { secrets: spec.decrypt && opts.flag('decrypt') ? 'decrypt' : 'redact', cipher: ctx.deps.db.cipher };
    const json: unknown[] = [];
    for (const r of rows) json.push(await spec.json(r, o));
    await printJson(ctx, json);
  });
}

/** How `rm` of a resource finds, checks and deletes its rows. */
export interface RmSpec<T> {
  argName: string;
  noun: string;
  domain: string;
  description?: string;
  find(m: Tx, identifiers: string[]): Promise<T[]>;
  /** Deletes the rows; throws (before anything is written) when one may not go. */
  remove(m: Tx, rows: T[]): Promise<void>;
  /** What the audit event names. */
  label(row: T): string;
  /** Runs once the removal committed (live state that must follow the rows). */
  after?(rows: T[]): Promise<void>;
}

/** Defines `rm ID...` of a resource: one transaction, one audit event. */
export function defineRm<T>(parent: Command, ctx: ShellContext, spec: RmSpec<T>): Command {
  const cmd = withIds(parent, 'rm', spec.argName, spec.description ?? `removes ${spec.noun}`);
  return act(cmd, ctx, ['admin'], async ({ args }) => {
    const rows = await change(ctx, async (m) => {
      const found = await spec.find(m, args);
      await spec.remove(m, found);
      await audit(m, ctx, { domain: spec.domain, action: 'rm', entity: found.map((r) => spec.label(r)).join(', ') });
      return found;
    });
    await spec.after?.(rows);
  });
}
