import type { Command } from 'commander';
import { sessionJson } from '../../db/backup/go-json.js';
import { findSessions, listSessions, type SessionListRow } from '../../db/queries/history.js';
import type { ShellContext } from '../context.js';
import { ellipsize, humanizeDuration, humanizeTime } from '../render/humanize.js';
import { act, defineInspect, lsFlags, pageFlags, printList, readPage } from './common.js';

function sessionRow(s: SessionListRow, now: Date): string[] {
  const end = s.stoppedAt ?? now;
  const span = humanizeDuration(end.getTime() - s.createdAt.getTime());
  return [
    String(s.id), s.userName, s.hostName, s.status, humanizeTime(s.createdAt, now),
    span === 'now' ? '1 second' : span, ellipsize(s.errMsg ?? '', 30), s.comment,
    // Which cluster node holds (or held) the session.
    s.node,
  ];
}

/** Registers `session`: lists and inspects bastion sessions. */
export function registerSession(root: Command, ctx: ShellContext): void {
  const parent = root.command('session').description('lists and inspects sessions');
  defineInspect(parent, ctx, { argName: 'SESSION', noun: 'sessions', find: findSessions, json: sessionJson });
  const ls = pageFlags(lsFlags(parent.command('ls').description('lists sessions, newest first'), 'session'), 'session')
    .option('-a, --active', 'only active sessions');
  act(ls, ctx, ['admin'], async (inv) => {
    const rows = await listSessions(ctx.deps.db.manager, readPage(inv), inv.opts.flag('active'));
    printList(ctx, inv, rows, {
      columns: ['ID', 'User', 'Host', 'Status', 'Start', 'Duration', 'Error', 'Comment', 'Node'], noun: 'sessions', row: sessionRow,
    });
  });
}
