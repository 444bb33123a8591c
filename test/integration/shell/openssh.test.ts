import { expect } from 'chai';
import { sshOptions } from '../../support/openssh.js';
import { drivers, startPortal, type Portal } from '../../support/portal.js';
import { Terminal } from '../../support/terminal.js';

for (const driver of drivers) {
  describe(`shell through the real OpenSSH client on ${driver}`, function () {
    let portal: Portal;
    before(async function () { portal = await startPortal(this, { driver }); });
    after(async () => { await portal?.close(); });

    it('one-shot: prints the result and exits 0', async () => {
      const r = await portal.ssh(['hostgroup', 'create', '--name=web']);
      expect([r.code, r.stdout, r.stderr]).to.deep.equal([0, '2\n', '']);
      const ls = await portal.ssh(['hostgroup', 'ls']);
      expect(ls.stdout).to.match(/^ID +NAME +HOSTS +ACLS +UPDATED +CREATED +COMMENT\n2 +web +0 +0 +(now|1 second ago) +(now|1 second ago)/);
      expect(ls.stdout).to.match(/Total: 2 host groups\.\n$/);
    });

    it('one-shot: quotes survive when the command is passed as one string', async () => {
      const r = await portal.ssh([`hostgroup create --name=quoted --comment "two words"`]);
      expect(r.code, r.stderr).to.equal(0);
      expect((await portal.ssh(['hostgroup', 'inspect', 'quoted'])).stdout).to.match(/"Comment": "two words"/);
    });

    it('one-shot: an error is one line on stderr and a non-zero status', async () => {
      const r = await portal.ssh(['host', 'create', '--group=nope', 'x@y']);
      expect([r.code, r.stdout, r.stderr]).to.deep.equal([1, '', "error: unknown host group 'nope'\n"]);
      const u = await portal.ssh(['frobnicate']);
      expect([u.code, u.stderr]).to.deep.equal([1, "error: unknown command 'frobnicate'\n"]);
    });

    it('one-shot: a command reads standard input (userkey create, key import)', async () => {
      const key = portal.newKey('second');
      const { readFileSync } = await import('node:fs');
      const r = await portal.ssh(['userkey', 'create', 'admin'], { input: readFileSync(`${key}.pub`, 'utf8') });
      expect(r.code, r.stderr).to.equal(0);
      const again = await portal.ssh(['version'], { key });
      expect([again.code, again.stdout]).to.deep.equal([0, 'test\n']);
      const imp = await portal.ssh(['key', 'import', '--name=imported'], { input: readFileSync(key, 'utf8') });
      expect(imp.code, imp.stderr).to.equal(0);
      expect((await portal.ssh(['key', 'show', 'imported'])).stdout).to.equal(`${readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')} second\n`);
    });

    it('stdin script: runs each line without a terminal, stops at exit', async () => {
      const r = await portal.ssh([], { input: 'version\nhostgroup create --name=scripted\nhost nope\nexit\nversion\n' });
      expect(r.stdout).to.match(/^test\n\d+\n$/);
      expect(r.stderr).to.equal("error: unknown command 'nope'\n");
      expect(r.code).to.equal(1);
    });

    it('a user logging in with their own name gets the shell with only what their roles allow', async () => {
      const invite = await portal.ssh(['user', 'invite', '--name=bob', 'bob@example.org']);
      const token = /invite:([A-Za-z0-9]+)'/.exec(invite.stdout)?.[1] ?? '';
      const key = portal.newKey('bob');
      expect((await portal.ssh([], { login: `invite:${token}`, key })).code).to.equal(0);
      const denied = await portal.ssh(['host', 'ls'], { login: 'bob', key });
      expect([denied.code, denied.stderr]).to.deep.equal([1, 'error: permission denied\n']);
      const info = await portal.ssh(['info'], { login: 'bob', key });
      expect([info.code, /User name: bob/.test(info.stdout)]).to.deep.equal([0, true]);
      await portal.ssh(['user', 'update', '--assign-role=listhosts', 'bob']);
      expect((await portal.ssh(['host', 'ls'], { login: 'bob', key })).code).to.equal(0);
    });

    it('interactive (node-pty): banner, prompt, completion, history, errors, exit status', async () => {
      const term = new Terminal([...sshOptions(portal.port, portal.adminKey), 'admin@127.0.0.1']);
      try {
        await term.waitFor(/admin shell[\s\S]*config> $/);
        term.write('hostg\t');
        await term.waitFor(/config> hostgroup $/);
        term.write('ls -q\r');
        await term.waitFor(/\r\n2\r\n[\s\S]*config> $/);
        term.write('nope\r');
        await term.waitFor(/error: unknown command 'nope'[\s\S]*config> $/);
        term.write('\u001b[A\u001b[A\r');
        await term.waitFor(/config> hostgroup ls -q\r\n[\s\S]*2\r\n[\s\S]*config> $/);
        term.write('exit 5\r');
        expect(await term.exitCode).to.equal(5);
      } finally {
        term.kill();
      }
    });
  });
}
