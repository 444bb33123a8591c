import { expect } from 'chai';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshOptions } from '../../support/openssh.js';
import { runProcess } from '../../support/process.js';
import { requireSshd } from '../../support/sshd.js';
import { refusals, startPolicyFixture, type PolicyFixture } from './setup.js';

describe('acl session policy through the real portal: shell, exec, file copy, patterns, ties', function () {
  let f: PolicyFixture;
  const ids: Record<string, number> = {};
  let dir: string;

  before(async function () {
    requireSshd(this);
    f = await startPolicyFixture(this);
    ids.open = await f.host('open');
    ids.noshell = await f.host('noshell', '--shell=no');
    ids.noexec = await f.host('noexec', '--exec=no');
    ids.nocopy = await f.host('nocopy', '--file-copy=no');
    ids.copyonly = await f.host('copyonly', '--exec=no', '--shell=no');
    dir = join(f.portal.dir, 'files');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'up.txt'), 'payload\n');
  });
  after(async () => { await f?.close(); });

  /** Client options for scp/sftp/rsync as alice. */
  const opts = (): string[] => sshOptions(f.portal.port, f.key);
  const remote = (name: string): string => join(f.target.home, name);

  it('defaults keep today\'s behaviour: shell and exec both work', async () => {
    const shell = await f.ssh('open', ['-T'], { input: 'echo shell-ok\nexit 3\n' });
    expect([shell.code, shell.stdout]).to.deep.equal([3, 'shell-ok\n']);
    const exec = await f.ssh('open', ['echo', 'exec-ok']);
    expect([exec.code, exec.stdout]).to.deep.equal([0, 'exec-ok\n']);
  });

  it('--shell=no refuses the shell with an error line and exit 1; exec still works', async () => {
    const shell = await f.ssh('noshell', ['-T'], { input: 'echo should-not-run\n' });
    expect([shell.code, shell.stdout, shell.stderr]).to.deep.equal([1, '', `error: acl ${ids.noshell} forbids interactive shells\n`]);
    const tty = await f.ssh('noshell', ['-tt'], { input: 'echo should-not-run\n' });
    expect(tty.code).to.equal(1);
    expect(tty.stdout + tty.stderr).to.include(`error: acl ${ids.noshell} forbids interactive shells`);
    const exec = await f.ssh('noshell', ['echo', 'exec-ok']);
    expect([exec.code, exec.stdout]).to.deep.equal([0, 'exec-ok\n']);
    expect(await refusals(f, 'noshell')).to.include(`acl ${ids.noshell} forbids interactive shells`);
  });

  it('--exec=no refuses commands; the shell still works', async () => {
    const exec = await f.ssh('noexec', ['echo', 'nope']);
    expect([exec.code, exec.stdout, exec.stderr]).to.deep.equal([1, '', `error: acl ${ids.noexec} forbids remote commands\n`]);
    const shell = await f.ssh('noexec', ['-T'], { input: 'echo shell-ok\n' });
    expect([shell.code, shell.stdout]).to.deep.equal([0, 'shell-ok\n']);
  });

  it('--file-copy=no stops sftp, scp (SFTP and legacy, both ways) and rsync (both ways); exec still works', async () => {
    writeFileSync(remote('down.txt'), 'remote\n');
    const reason = (tool: string): string => `error: acl ${ids.nocopy} forbids file copy (${tool})`;
    const sftp = await runProcess('sftp', [...opts(), '-b', '-', 'nocopy@127.0.0.1'], { input: `put ${join(dir, 'up.txt')} sftp.txt\n` });
    expect(sftp.code).to.not.equal(0);
    expect(sftp.stderr).to.include(reason('sftp'));
    const scp = await runProcess('scp', [...opts(), join(dir, 'up.txt'), 'nocopy@127.0.0.1:scp.txt']);
    expect([scp.code === 0, scp.stderr.includes(reason('sftp'))]).to.deep.equal([false, true]);
    const scpUp = await runProcess('scp', ['-O', ...opts(), join(dir, 'up.txt'), 'nocopy@127.0.0.1:scp-o.txt']);
    expect([scpUp.code === 0, scpUp.stderr.includes(reason('scp'))], scpUp.stderr).to.deep.equal([false, true]);
    const scpDown = await runProcess('scp', ['-O', '-r', ...opts(), 'nocopy@127.0.0.1:down.txt', join(dir, 'scp-down.txt')]);
    expect([scpDown.code === 0, scpDown.stderr.includes(reason('scp'))], scpDown.stderr).to.deep.equal([false, true]);
    const e = ['ssh', ...opts()].join(' ');
    const rsyncUp = await runProcess('rsync', ['-e', e, join(dir, 'up.txt'), 'nocopy@127.0.0.1:rsync.txt']);
    expect([rsyncUp.code === 0, rsyncUp.stderr.includes(reason('rsync'))], rsyncUp.stderr).to.deep.equal([false, true]);
    const rsyncDown = await runProcess('rsync', ['-e', e, 'nocopy@127.0.0.1:down.txt', join(dir, 'rsync-down.txt')]);
    expect([rsyncDown.code === 0, rsyncDown.stderr.includes(reason('rsync'))], rsyncDown.stderr).to.deep.equal([false, true]);
    for (const name of ['sftp.txt', 'scp.txt', 'scp-o.txt', 'rsync.txt']) expect(() => readFileSync(remote(name)), name).to.throw();
    expect(() => readFileSync(join(dir, 'scp-down.txt'))).to.throw();
    expect(() => readFileSync(join(dir, 'rsync-down.txt'))).to.throw();
    const exec = await f.ssh('nocopy', ['cat', 'down.txt']);
    expect([exec.code, exec.stdout]).to.deep.equal([0, 'remote\n']);
    expect(await refusals(f, 'nocopy')).to.include.members([`acl ${ids.nocopy} forbids file copy (sftp)`, `acl ${ids.nocopy} forbids file copy (scp)`, `acl ${ids.nocopy} forbids file copy (rsync)`]);
  });

  it('--exec=no --shell=no still copies files (sftp, scp -O, rsync) but runs nothing else', async () => {
    const scp = await runProcess('scp', [...opts(), join(dir, 'up.txt'), 'copyonly@127.0.0.1:copied.txt']);
    expect(scp.code, scp.stderr).to.equal(0);
    const scpO = await runProcess('scp', ['-O', ...opts(), join(dir, 'up.txt'), 'copyonly@127.0.0.1:copied-o.txt']);
    expect(scpO.code, scpO.stderr).to.equal(0);
    const rsync = await runProcess('rsync', ['-e', ['ssh', ...opts()].join(' '), join(dir, 'up.txt'), 'copyonly@127.0.0.1:copied-r.txt']);
    expect(rsync.code, rsync.stderr).to.equal(0);
    for (const name of ['copied.txt', 'copied-o.txt', 'copied-r.txt']) expect(readFileSync(remote(name), 'utf8')).to.equal('payload\n');
    const sneaky = await f.ssh('copyonly', ['scp -t /tmp; id']);
    expect([sneaky.code, sneaky.stderr]).to.deep.equal([1, `error: acl ${ids.copyonly} forbids remote commands\n`]);
    for (const name of ['copied.txt', 'copied-o.txt', 'copied-r.txt']) rmSync(remote(name), { force: true });
  });

  it('a pattern-only ACL grants hosts by name (case-insensitive), a negation excludes one', async () => {
    await f.admin('hostgroup', 'create', '--name=hg-none');
    for (const name of ['pat-web1', 'pat-blocked', 'other']) {
      await f.admin('host', 'create', `--name=${name}`, '--group=hg-none', `${f.target.user}@127.0.0.1:${f.target.port}`);
    }
    const id = (await f.admin('acl', 'create', '--ug=ug-alice', '--pattern=PAT-*,!pat-blocked', '--x11=no')).trim();
    const ok = await f.ssh('pat-web1', ['echo', 'pattern-ok']);
    expect([ok.code, ok.stdout]).to.deep.equal([0, 'pattern-ok\n']);
    for (const name of ['pat-blocked', 'other']) {
      const denied = await f.ssh(name, ['echo', 'nope']);
      expect([denied.code, denied.stderr]).to.deep.equal([1, `error: access to host '${name}' denied\n`]);
    }
    expect(await f.admin('acl', 'check', 'alice', 'pat-web1')).to.match(new RegExp(`^decision: allow\\nacl: ${id} \\(weight 0, allow\\)\\n[^]*\\nx11: no\\n$`));
    expect(await f.admin('acl', 'check', 'alice', 'pat-blocked')).to.match(/^decision: deny\nacl: none\n/);
  });

  it('equal weight: deny wins over allow whatever the ids, and acl check says which ACL decided', async () => {
    const allow = await f.host('tie', '--weight=5');
    const deny = Number((await f.admin('acl', 'create', '--ug=ug-alice', '--hg=hg-tie', '--action=deny', '--weight=5')).trim());
    expect(deny).to.be.greaterThan(allow);
    const r = await f.ssh('tie', ['echo', 'nope']);
    expect([r.code, r.stderr]).to.deep.equal([1, "error: access to host 'tie' denied\n"]);
    expect(await f.admin('acl', 'check', 'alice', 'tie')).to.match(new RegExp(`^decision: deny\\nacl: ${deny} \\(weight 5, deny\\)\\n`));
    await f.admin('acl', 'update', '--weight=6', String(deny));
    expect((await f.ssh('tie', ['echo', 'ok'])).code).to.equal(0);
  });
});
