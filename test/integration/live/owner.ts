/** The live-session tests' owner: an admin's shell on web01 and its session id. */
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
