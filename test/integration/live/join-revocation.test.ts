/**
 * A joiner whose access to the session's host is revoked stops typing into
 * it: the periodic re-check (every ~2 s) ends the join as it ends a relayed
 * session to that host, with `error: access revoked: …` and a revoke event.
 * A watcher needs no ACL (the admin role only) and keeps watching.
 */
import { expect } from 'chai';
import { Acl, Event, SshKey } from '../../../lib/db/entities/index.js';
import { sshOptions } from '../../support/openssh.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { renderScreen } from '../../support/screen.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { Terminal } from '../../support/terminal.js';
import { waitFor } from '../../support/wait.js';
import { adminCommand, ownerShell } from './owner.js';

/** How long a revoked join may go on: a sweep every 1.5–2.5 s, and the channel's last line. */
const REVOKED_WITHIN_MS = 4_000;

describe('live sessions: a joiner whose access is revoked is cut off (real OpenSSH in real terminals)', function () {
  this.timeout(120_000);
  let portal: Portal;
  let target: SshdTarget;
  const terms: Terminal[] = [];

  const open = (login: string, key: string, extra: string[] = []): Terminal => {
    const t = new Terminal([...extra, ...sshOptions(portal.port, key), `${login}@127.0.0.1`], 100, 30);
    terms.push(t);
    return t;
  };
  const admin = (...args: string[]): Promise<string> => adminCommand(portal, args);
  /** An admin allowed to web01 through its own group's ACL; returns its key and the ACL's id. */
  const enrollJoiner = async (name: string): Promise<{ key: string; aclId: number }> => {
    await admin('usergroup', 'create', `--name=ug-${name}`);
    const invite = await admin('user', 'invite', `--name=${name}`, `--group=ug-${name}`, `${name}@example.org`);
    const token = /invite:([A-Za-z0-9]+)'/.exec(invite)?.[1] ?? '';
    const key = portal.newKey(name);
    expect((await portal.ssh([], { login: `invite:${token}`, key })).code).to.equal(0);
    await admin('user', 'update', '--assign-role=admin', name);
    await admin('acl', 'create', `--ug=ug-${name}`, '--hg=web');
    const [acl] = await portal.app.db.manager.find(Acl, { order: { id: 'DESC' }, take: 1 });
    return { key, aclId: acl?.id ?? 0 };
  };
  /** The admin's shell on web01, its session id once it shows a prompt. */
  const owner = (): Promise<{ term: Terminal; id: number }> => ownerShell(portal, (login, key) => open(login, key));
  const screen = (t: Terminal): Promise<string> => renderScreen(t.output, 100, 30).then((l) => l.join('\n'));

  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3' });
    const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    await admin('hostgroup', 'create', '--name=web');
    // In 'default' for the owner (the bootstrap ACL), in 'web' for the joiners' ACLs.
    await admin('host', 'create', '--name=web01', '--group=default', '--group=web', `${target.user}@127.0.0.1:${target.port}`);
  });
  afterEach(() => { for (const t of terms.splice(0)) t.kill(); });
  after(async () => {
    await portal?.close();
    await target?.stop();
  });

  const cases = [
    { how: 'acl rm', revoke: (u: { name: string; aclId: number }) => admin('acl', 'rm', String(u.aclId)) },
    { how: 'user update --unassign-group', revoke: (u: { name: string; aclId: number }) => admin('user', 'update', `--unassign-group=ug-${u.name}`, u.name) },
  ];
  cases.forEach((c, i) => {
    it(`${c.how}: the join ends within ${REVOKED_WITHIN_MS} ms with 'access revoked' and an event; keys typed afterwards never reach the host; the watcher stays`, async () => {
      const name = `joiner${i}`;
      const { key, aclId } = await enrollJoiner(name);
      const { term, id } = await owner();
      const j = open(`join:${id}`, key, ['-t', '-o', 'EscapeChar=~']);
      await term.waitFor(new RegExp(`${name} joined this session`));
      const w = open(`watch:${id}`, key, ['-t']);
      await term.waitFor(new RegExp(`${name} started watching this session`));
      await new Promise((r) => setTimeout(r, 300));
      j.write('echo joined-$((5*5))\r');
      await term.waitFor(/joined-25/);

      await c.revoke({ name, aclId });
      const revokedAt = Date.now();
      const exit = await Promise.race([j.exitCode, new Promise<null>((r) => setTimeout(() => r(null), REVOKED_WITHIN_MS))]);
      expect(exit, `the join still runs ${REVOKED_WITHIN_MS} ms after ${c.how}`).to.equal(255);
      expect(Date.now() - revokedAt).to.be.below(REVOKED_WITHIN_MS);
      expect(j.plain()).to.match(/error: access revoked: access to host 'web01' no longer allowed/);
      await term.waitFor(new RegExp(`${name} left this session`));

      // Typed once the join ended: it must not reach web01 (the owner's own keys still do).
      j.write('echo after-revoke-$((6*6))\r');
      await new Promise((r) => setTimeout(r, 500));
      term.write('echo owner-$((2*2))\r');
      await term.waitFor(/owner-4/);
      expect(term.plain()).to.not.include('after-revoke-36');
      // The watcher needs the admin role only: it still sees the session live.
      await waitFor(async () => (await screen(w)).includes('owner-4'), 10_000, "the watcher's live view");

      const events = await portal.app.db.manager.find(Event, { where: { domain: 'session', action: 'revoke' } });
      const args = events.map((e) => JSON.parse(e.args ?? '{}') as Record<string, unknown>).filter((a) => a.user === name);
      expect(args.map((a) => [a.login, a.host, a.session_id])).to.deep.equal([['join', 'web01', id]]);

      w.write('q');
      expect(await w.exitCode).to.equal(0);
      term.write('exit\r');
      expect(await term.exitCode).to.equal(0);
    });
  });
});
