/** What the live-session tests share: the owner's shell on web01, an admin command that must succeed. */
import { expect } from 'chai';
import type { EntityManager } from 'typeorm';
import { Session } from '../../../lib/db/entities/index.js';
import type { Portal } from '../../support/portal.js';
import type { Terminal } from '../../support/terminal.js';
import { waitFor } from '../../support/wait.js';

/** Opens the admin's shell on web01 with `open`; resolves once it shows a prompt and its session row exists. */
export async function ownerShell(portal: Portal, open: (login: string, key: string) => Terminal): Promise<{ term: Terminal; id: number }> {
  const m = portal.app.db.manager;
  const last = async (): Promise<number> => (await m.findOne(Session, { where: {}, order: { id: 'DESC' } }))?.id ?? 0;
  const before = await last();
  const term = open('web01', portal.adminKey);
  await term.waitFor(/\$ $/, 20_000);
  await waitFor(async () => (await last()) > before, 5_000, 'the session row');
  return { term, id: await last() };
}

/** Runs an admin command through the real `ssh`; it must succeed. Its stdout. */
export async function adminCommand(portal: Portal, args: string[]): Promise<string> {
  const r = await portal.ssh(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
  return r.stdout;
}

/**
 * Has the owner's shell echo something into its recording (`echo`, once the
 * terminal `shows` it), exit, and waits for its session row to close (on the
 * node whose database `m` is). The recording's path.
 */
export async function recordedAndClosed(m: EntityManager, s: { term: Terminal; id: number }, echo: string, shows: RegExp): Promise<string> {
  s.term.write(`${echo}\r`);
  await s.term.waitFor(shows);
  s.term.write('exit\r');
  expect(await s.term.exitCode).to.equal(0);
  await waitFor(async () => (await m.findOneByOrFail(Session, { id: s.id })).status === 'closed', 10_000, 'the row to close');
  return (JSON.parse((await m.findOneByOrFail(Session, { id: s.id })).recordings ?? '[]') as string[])[0] ?? '';
}
