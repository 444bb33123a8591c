import type { Command } from 'commander';
import type { LiveView } from '../../cluster/index.js';
import { sessionJson } from '../../db/json/go-json.js';
import type { Session } from '../../db/entities/session.js';
import { findSessions, listSessions, type SessionListRow } from '../../db/queries/history.js';
import type { ShellContext } from '../context.js';
import { ellipsize, humanizeDuration, humanizeTime } from '../render/humanize.js';
import { act, lsFlags, pageFlags, printJson, printList, readPage, withIds } from './common.js';
import { registerLiveSession } from './session-live.js';

/** The `Live` part of an active session's inspect view: byte counters, from whichever node holds it. */
function liveJson(v: LiveView): Record<string, unknown> {
  switch (v.state) {
    case 'live':
      return { Node: v.node, BytesUp: v.bytesUp, BytesDown: v.bytesDown };
    case 'not-live':
      return { Node: v.node, Error: `not live on node ${v.node}` };
    case 'unreachable':
      return { Node: v.node, Error: v.error };
    default: {
      const never: never = v;
      return never;
    }
  }
}

/** `failed` remembers nodes that did not answer in this command: each is asked (and waited for) once. */
async function inspectJson(ctx: ShellContext, s: Session, failed: Map<string, LiveView>): Promise<unknown> {
  const base = sessionJson(s, { secrets: 'redact', cipher: ctx.deps.db.cipher });
  const cluster = ctx.deps.cluster;
  if (s.status !== 'active' || !cluster) return base;
  const live = failed.get(s.node) ?? await cluster.liveCounters(s.node, s.id);
  if (live.state === 'unreachable') failed.set(s.node, live);
  return { ...base, Live: liveJson(live) };
}

function sessionRow(s: SessionListRow, now: Date): string[] {
  const end = s.stoppedAt ?? now;
  const span = humanizeDuration(end.getTime() - s.createdAt.getTime());
  return [
    String(s.id), s.userName, s.hostName, s.status, humanizeTime(s.createdAt, now),
    span === 'now' ? '1 second' : span, ellipsize(s.errMsgPrefix ?? '', 30), s.comment,
    // Which cluster node holds (or held) the session.
    s.node,
  ];
}

/** Registers `session`: lists and inspects bastion sessions. */
export function registerSession(root: Command, ctx: ShellContext): void {
  const parent = root.command('session').description('lists, inspects, stops and replays sessions');
  const inspect = withIds(parent, 'inspect', 'SESSION', 'shows detailed information on sessions (live byte counters of active ones)');
  act(inspect, ctx, ['admin'], async ({ args }) => {
    const rows = await findSessions(ctx.deps.db.manager, args);
    // One node at a time: a listing of many sessions must not open a burst of requests.
    const out: unknown[] = [];
    const failed = new Map<string, LiveView>();
    for (const s of rows) out.push(await inspectJson(ctx, s, failed));
    await printJson(ctx, out);
  });
  const ls = pageFlags(lsFlags(parent.command('ls').description('lists sessions, newest first'), 'session'), 'session')
    .option('-a, --active', 'only active sessions, with their viewers');
  act(ls, ctx, ['admin'], async (inv) => {
    const active = inv.opts.flag('active');
    const rows = await listSessions(ctx.deps.db.manager, readPage(inv), active);
    const columns = ['ID', 'User', 'Host', 'Status', 'Start', 'Duration', 'Error', 'Comment', 'Node'];
    const watchers = active && ctx.deps.liveSessions ? await ctx.deps.liveSessions.watchers(rows) : null;
    if (!watchers) { printList(ctx, inv, rows, { columns, noun: 'sessions', row: sessionRow }); return; }
    // `?`: the node holding the session did not answer.
    printList(ctx, inv, rows, {
      columns: [...columns, 'Watchers'], noun: 'sessions',
      row: (s, now) => [...sessionRow(s, now), String(watchers.get(s.id) ?? '?')],
    });
  });
  registerLiveSession(parent, ctx);
}
