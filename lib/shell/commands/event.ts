import type { Command } from 'commander';
import { eventJson } from '../../db/json/go-json.js';
import { findEvents, listEvents, type EventListRow } from '../../db/queries/history.js';
import type { ShellContext } from '../context.js';
import { ellipsize, humanizeTime } from '../render/humanize.js';
import { act, defineInspect, lsFlags, pageFlags, printList, readPage } from './common.js';

function eventRow(e: EventListRow, now: Date): string[] {
  return [String(e.id), e.authorName, e.domain, e.action, ellipsize(e.entity, 30), ellipsize(e.argsPrefix ?? '', 30), humanizeTime(e.createdAt, now)];
}

/** Registers `event`: reads the audit trail. */
export function registerEvent(root: Command, ctx: ShellContext): void {
  const parent = root.command('event').description('reads the audit trail');
  defineInspect(parent, ctx, { argName: 'EVENT', noun: 'events', find: findEvents, json: eventJson });
  const ls = pageFlags(lsFlags(parent.command('ls').description('lists events, newest first'), 'event'), 'event');
  act(ls, ctx, ['admin'], async (inv) => {
    const rows = await listEvents(ctx.deps.db.manager, readPage(inv));
    printList(ctx, inv, rows, { columns: ['ID', 'Author', 'Domain', 'Action', 'Entity', 'Args', 'Date'], noun: 'events', row: eventRow });
  });
}
