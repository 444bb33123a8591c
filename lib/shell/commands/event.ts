import type { Command } from 'commander';
import { eventJson } from '../../db/json/go-json.js';
import { findEvents, listEvents, type EventListRow } from '../../db/queries/history.js';
import type { ShellContext } from '../context.js';
import { ellipsize, humanizeTime } from '../render/humanize.js';
import { defineInspect, defineLs } from './common.js';

/** Registers `event`: reads the audit trail. */
export function registerEvent(root: Command, ctx: ShellContext): void {
  const parent = root.command('event').description('reads the audit trail');
  defineInspect(parent, ctx, { argName: 'EVENT', noun: 'events', find: findEvents, json: eventJson });
  defineLs<EventListRow>(parent, ctx, ['admin'], {
    columns: ['ID', 'Author', 'Domain', 'Action', 'Entity', 'Args', 'Date'],
    noun: 'events',
    fetch: listEvents,
    row: (e, now) => [String(e.id), e.authorName, e.domain, e.action, ellipsize(e.entity, 30), ellipsize(e.args ?? '', 30), humanizeTime(e.createdAt, now)],
  });
}
