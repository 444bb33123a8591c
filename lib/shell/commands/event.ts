import type { Command } from 'commander';
import { eventJson } from '../../db/backup/go-json.js';
import { findEvents, listEvents, type EventListRow } from '../../db/queries/history.js';
import type { ShellContext } from '../context.js';
import { ellipsize, humanizeTime } from '../render/humanize.js';
import { act, defineLs, printJson, withIds } from './common.js';

/** Registers `event`: reads the audit trail. */
export function registerEvent(root: Command, ctx: ShellContext): void {
  const parent = root.command('event').description('reads the audit trail');
  act(withIds(parent, 'inspect', 'EVENT', 'shows detailed information on events'), ctx, ['admin'], async ({ args }) => {
    const events = await findEvents(ctx.deps.db.manager, args);
    printJson(ctx, events.map((e) => eventJson(e, { secrets: 'redact', cipher: ctx.deps.db.cipher })));
  });
  defineLs<EventListRow>(parent, ctx, ['admin'], {
    columns: ['ID', 'Author', 'Domain', 'Action', 'Entity', 'Args', 'Date'],
    noun: 'events',
    fetch: listEvents,
    row: (e, now) => [String(e.id), e.authorName, e.domain, e.action, ellipsize(e.entity, 30), ellipsize(e.args ?? '', 30), humanizeTime(e.createdAt, now)],
  });
}
