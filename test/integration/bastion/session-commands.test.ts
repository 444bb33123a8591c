import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Event, Session } from '../../../lib/db/entities/index.js';
import { sshOptions } from '../../support/openssh.js';
import { drivers, startPortal, startWebTarget, type Portal } from '../../support/portal.js';
import { runProcess } from '../../support/process.js';
import { requireSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';

interface Inspected { Commands: string[] | null; Status: string }

/** The newest session row once it closed, as `session inspect` shows it. */
async function lastSession(p: Portal, after: number): Promise<{ id: number; json: Inspected }> {
  const m = p.app.db.manager;
  let row: Session | null = null;
  await waitFor(async () => {
    row = await m.findOne(Session, { where: {}, order: { id: 'DESC' } });
    return row !== null && row.id > after && row.status === 'closed';
  }, 10_000, 'the session row to close');
  const id = (row as Session | null)?.id ?? 0;
  const r = await p.ssh(['session', 'inspect', String(id)]);
  expect(r.code, r.stderr).to.equal(0);
  const [json] = JSON.parse(r.stdout) as Inspected[];
  return { id, json };
}

async function newestId(p: Portal): Promise<number> {
  return (await p.app.db.manager.findOne(Session, { where: {}, order: { id: 'DESC' } }))?.id ?? 0;
}

for (const driver of drivers) {
  describe(`bastion on ${driver}: exec commands and subsystems leave an audit trace`, function () {
    let portal: Portal;
    let target: SshdTarget;
    let local: string;
    const client = (): string[] => sshOptions(portal.port, portal.adminKey);
    const remote = `cmd-audit-${process.pid}`;

    before(async function () {
      requireSshd(this);
      portal = await startPortal(this, { driver });
      target = await startWebTarget(portal);
      local = join(portal.dir, 'payload.txt');
      writeFileSync(local, 'payload\n');
      const r = await portal.ssh([`mkdir -p ${remote}`], { login: 'web01' });
      expect(r.code, r.stderr).to.equal(0);
    });
    after(async () => {
      if (portal && target) await portal.ssh([`rm -rf ${remote}`], { login: 'web01' });
      await portal?.close();
      await target?.stop();
    });

    it('an exec command: in the row, in `session inspect` and in its event', async () => {
      const before = await newestId(portal);
      const r = await portal.ssh(['echo', 'secret-ish', '&&', 'true'], { login: 'web01' });
      expect(r.code, r.stderr).to.equal(0);
      const { id, json } = await lastSession(portal, before);
      expect(json.Commands).to.deep.equal(['exec: echo secret-ish && true']);
      const events = await portal.app.db.manager.find(Event, { where: { domain: 'session', action: 'exec', entity: 'web01' } });
      const mine = events.map((e) => JSON.parse(e.args ?? '{}') as { session_id: number; command: string }).filter((a) => a.session_id === id);
      expect(mine.map((a) => a.command)).to.deep.equal(['echo secret-ish && true']);
    });

    const tools: { name: string; run: () => Promise<{ code: number | null; stderr: string }>; expected: RegExp }[] = [
      { name: 'scp (SFTP mode)', expected: /^subsystem: sftp$/,
        run: () => runProcess('scp', [...client(), local, `web01@127.0.0.1:${remote}/scp.txt`]) },
      { name: 'scp -O (exec scp -t)', expected: /^exec: scp (-\w+ )*-t (-- )?\S*cmd-audit/,
        run: () => runProcess('scp', ['-O', ...client(), local, `web01@127.0.0.1:${remote}/scp-o.txt`]) },
      { name: 'sftp', expected: /^subsystem: sftp$/,
        run: () => {
          const batch = join(portal.dir, 'batch');
          writeFileSync(batch, `put ${local} ${remote}/sftp.txt\n`);
          return runProcess('sftp', ['-b', batch, ...client(), 'web01@127.0.0.1']);
        } },
      { name: 'rsync', expected: /^exec: rsync --server .*cmd-audit/,
        run: () => runProcess('rsync', ['-a', '-e', ['ssh', ...client()].join(' '), local, `web01@127.0.0.1:${remote}/rsync.txt`]) },
    ];
    for (const t of tools) {
      it(`${t.name}: the command or subsystem is in \`session inspect\``, async () => {
        const before = await newestId(portal);
        const r = await t.run();
        expect(r.code, r.stderr).to.equal(0);
        const { json } = await lastSession(portal, before);
        expect(json.Commands).to.have.length(1);
        expect(json.Commands?.[0]).to.match(t.expected);
      });
    }

    it('a command the session policy refuses is recorded as refused', async () => {
      const admin = async (...args: string[]): Promise<string> => {
        const r = await portal.ssh(args);
        expect(r.code, r.stderr).to.equal(0);
        return r.stdout;
      };
      await admin('hostgroup', 'create', '--name=locked');
      await admin('host', 'create', '--name=locked01', '--group=locked', `${target.user}@127.0.0.1:${target.port}`);
      await admin('acl', 'create', '--ug=default', '--hg=locked', '--exec=no');
      const before = await newestId(portal);
      const r = await portal.ssh(['cat', '/etc/shadow'], { login: 'locked01' });
      expect(r.code).to.equal(1);
      const { id, json } = await lastSession(portal, before);
      expect(json.Commands).to.deep.equal(['refused exec: cat /etc/shadow']);
      const events = await portal.app.db.manager.find(Event, { where: { domain: 'session', action: 'exec', entity: 'locked01' } });
      const args = events.map((e) => JSON.parse(e.args ?? '{}') as { session_id: number; command: string; refused?: string }).filter((a) => a.session_id === id);
      expect(args).to.have.length(1);
      expect(args[0]).to.include({ command: 'cat /etc/shadow' });
      expect(args[0]?.refused).to.match(/forbids remote commands/);
    });

    it('a long command is stored truncated at 1024 characters', async () => {
      const before = await newestId(portal);
      const long = `true ${'x'.repeat(3000)}`;
      const r = await portal.ssh([long], { login: 'web01' });
      expect(r.code, r.stderr).to.equal(0);
      const { json } = await lastSession(portal, before);
      expect(json.Commands?.[0]).to.equal(`exec: ${long.slice(0, 1024)}…`);
    });
  });
}
