/**
 * The on-call commands of `session`: stop, replay, export (live sessions and
 * their recordings, on any node). Each needs the admin role; a refusal is one
 * line and an event.
 */
import type { Command } from 'commander';
import type { Session } from '../../db/entities/session.js';
import { recordEvent } from '../../db/events.js';
import { findSessions } from '../../db/queries/history.js';
import { userRoleNames } from '../../db/queries/users.js';
import { InvalidArgumentError, PermissionDeniedError } from '../../errors.js';
import type { LiveControl } from '../../live/index.js';
import { parseIdleLimit, parseSpeed } from '../../live/playback.js';
import { exportCast, replayCast } from '../../live/replay.js';
import type { ShellContext } from '../context.js';
import { act } from './common.js';

/** Longest `--reason` accepted (characters). */
const maxReasonChars = 200;

function event(ctx: ShellContext, action: string, entity: string, args: Record<string, unknown>): Promise<void> {
  return recordEvent(ctx.deps.db.manager, { authorId: ctx.who.user.id, domain: 'session', action, entity, args });
}

/**
 * Refusals one shell session writes to the audit trail. A plain user piping a
 * million `session stop 1` lines wrote a million chained events (the trail
 * and the database grew at the rate of the pipe); past this many, a refusal
 * is still answered but no longer recorded, and the last recorded one says so.
 */
export const maxDeniedEventsPerSession = 16;

/** Refuses (one line; an event, up to {@link maxDeniedEventsPerSession} per session) a user without the admin role. */
async function requireAdmin(ctx: ShellContext, what: string, ids: readonly string[]): Promise<void> {
  const roles = await userRoleNames(ctx.deps.db.manager, ctx.who.user.id, ['admin']);
  if (roles.includes('admin')) return;
  const n = ++ctx.session.deniedEvents;
  if (n <= maxDeniedEventsPerSession) {
    const last = n === maxDeniedEventsPerSession ? { further_refusals: 'not recorded for this session' } : {};
    await event(ctx, 'deny', `${what}:${ids.join(',').slice(0, 200)}`, { reason: `session ${what} needs the admin role`, remote_addr: ctx.who.remoteAddr, ...last });
  }
  throw new PermissionDeniedError(`session ${what} needs the admin role`);
}

function control(ctx: ShellContext, what: string): LiveControl {
  const c = ctx.deps.liveSessions;
  if (!c) throw new InvalidArgumentError(`session ${what} needs a running portal`);
  return c;
}

/** The `--reason` text: one printable line, bounded. */
function readReason(text: string | undefined): string | null {
  if (text === undefined) return null;
  const t = text.trim();
  if (t === '') return null;
  if (t.length > maxReasonChars) throw new InvalidArgumentError(`--reason is longer than ${maxReasonChars} characters`);
  if (/[\u0000-\u001f\u007f]/.test(t)) throw new InvalidArgumentError('--reason must be one line of printable text');
  return t;
}

/** One session by id, checked to have a row. */
async function oneSession(ctx: ShellContext, id: string): Promise<Session> {
  const row = (await findSessions(ctx.deps.db.manager, [id])).at(0);
  if (!row) throw new InvalidArgumentError(`session ${id} not found`);
  return row;
}

function registerStop(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('stop').description('ends live sessions, on any node (the owner sees who stopped it and why)')
    .argument('<SESSION...>').option('--reason <TEXT>', 'shown to the owner and kept in the session row');
  act(cmd, ctx, 'anyone', async ({ args, opts }) => {
    await requireAdmin(ctx, 'stop', args);
    const live = control(ctx, 'stop');
    const reason = readReason(opts.string('reason'));
    // Every id is checked before anything is stopped.
    const rows = await findSessions(ctx.deps.db.manager, args);
    for (const r of rows) if (r.status !== 'active') throw new InvalidArgumentError(`session ${r.id} is not active (${r.status})`);
    for (const r of rows) {
      await live.stop(r, ctx.who.user.name, reason);
      await event(ctx, 'stop', r.host?.name ?? String(r.id), { session_id: r.id, node: r.node, by: ctx.who.user.name, reason });
    }
  });
}

function registerReplay(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('replay').description('plays a session recording with its timing (q quits)').argument('<SESSION>')
    .option('--speed <N>', 'playback speed factor (2 = twice as fast)')
    .option('--idle-limit <SECONDS>', 'longest pause, in seconds');
  act(cmd, ctx, 'anyone', async ({ args, opts }) => {
    const id = args[0] ?? '';
    await requireAdmin(ctx, 'replay', [id]);
    const speed = parseSpeed(opts.string('speed'));
    if (speed === null) throw new InvalidArgumentError('--speed expects a positive number up to 1000');
    const idleLimit = parseIdleLimit(opts.string('idle-limit'));
    if (idleLimit === 'bad') throw new InvalidArgumentError('--idle-limit expects a positive number of seconds');
    const row = await oneSession(ctx, id);
    const src = await control(ctx, 'replay').openRecording(row);
    await event(ctx, 'replay', row.host?.name ?? id, { session_id: row.id, node: row.node });
    await replayCast(src, ctx.raw.output, ctx.raw.keys, { speed, idleLimit });
    if (ctx.raw.pty) ctx.raw.output.write('\x1b[0m\r\n');
  });
}

function registerExport(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('export').description('writes a session recording (asciicast v2) to stdout').argument('<SESSION>');
  act(cmd, ctx, 'anyone', async ({ args }) => {
    const id = args[0] ?? '';
    await requireAdmin(ctx, 'export', [id]);
    const row = await oneSession(ctx, id);
    const src = await control(ctx, 'export').openRecording(row);
    await event(ctx, 'export', row.host?.name ?? id, { session_id: row.id, node: row.node });
    await exportCast(src, ctx.raw.output);
  });
}

/** Registers `session stop`, `session replay` and `session export`. */
export function registerLiveSession(parent: Command, ctx: ShellContext): void {
  registerStop(parent, ctx);
  registerReplay(parent, ctx);
  registerExport(parent, ctx);
}
