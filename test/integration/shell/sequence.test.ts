import { expect } from 'chai';
import { drivers, startPortal, type Portal } from '../../support/portal.js';

/** sshportal's own integration scenario (examples/integration/_client.sh), through the real OpenSSH client. */
const scenario: string[][] = [
  ['hostgroup', 'create'],
  ['hostgroup', 'create', '--name=hg1'],
  ['hostgroup', 'create', '--name=hg2', '--comment=test'],
  ['hostgroup', 'inspect', 'hg1', 'hg2'],
  ['hostgroup', 'ls'],
  ['usergroup', 'create'],
  ['usergroup', 'create', '--name=ug1'],
  ['usergroup', 'create', '--name=ug2', '--comment=test'],
  ['usergroup', 'inspect', 'ug1', 'ug2'],
  ['usergroup', 'ls'],
  ['acl', 'create', '--ug=ug1', '--ug=ug2', '--hg=hg1', '--hg=hg2', '--comment=test', '--action=allow', '--weight=42'],
  ['acl', 'inspect', '2'],
  ['acl', 'ls'],
  ['host', 'create', 'bob@example.org:1234'],
  ['host', 'create', 'test42'],
  ['host', 'create', '--name=testtest', '--comment=test', '--password=test', 'test@test.test'],
  ['host', 'create', '--group=hg1', '--group=hg2', 'hostwithgroups.org'],
  ['host', 'inspect', 'example', 'test42', 'testtest', 'hostwithgroups'],
  ['host', 'update', '--assign-group=hg1', 'test42'],
  ['host', 'update', '--unassign-group=hg1', 'test42'],
  ['host', 'update', '--assign-group=hg1', 'test42'],
  ['host', 'update', '--assign-group=hg2', '--unassign-group=hg2', 'test42'],
  ['host', 'ls'],
];

const withoutDates = (s: string): string => s.split('\n').filter((l) => !/"date":|tedAt":/.test(l)).join('\n');

for (const driver of drivers) {
  describe(`shell: sshportal's integration scenario through OpenSSH on ${driver}`, function () {
    let portal: Portal;
    before(async function () { portal = await startPortal(this, { driver }); });
    after(async () => { await portal?.close(); });

    it('runs every command of the scenario cleanly, in order', async () => {
      for (const args of scenario) {
        const r = await portal.ssh(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
        expect(r.stderr, args.join(' ')).to.equal('');
      }
      const hosts = JSON.parse((await portal.ssh(['host', 'inspect', 'example', 'test42', 'testtest', 'hostwithgroups'])).stdout) as { Name: string; Groups: { Name: string }[] }[];
      expect(hosts.map((h) => h.Name)).to.deep.equal(['example', 'test42', 'testtest', 'hostwithgroups']);
      expect(hosts[1]?.Groups.map((g) => g.Name).sort()).to.deep.equal(['default', 'hg1']);
      expect((await portal.ssh(['acl', 'inspect', '2'])).stdout).to.match(/"Weight": 42/);
    });

    it('backup, restore --confirm, backup: identical but for dates', async () => {
      const b1 = await portal.ssh(['config', 'backup', '--indent', '--ignore-events']);
      expect(b1.code, b1.stderr).to.equal(0);
      const r = await portal.ssh(['config', 'restore', '--confirm'], { input: b1.stdout });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/Import done\.\n$/);
      const b2 = await portal.ssh(['config', 'backup', '--indent', '--ignore-events']);
      expect(b2.code).to.equal(0);
      expect(withoutDates(b2.stdout)).to.equal(withoutDates(b1.stdout));
    });

    it('still lets the admin in after the restore (keys and roles restored)', async () => {
      const r = await portal.ssh(['host', 'ls', '-q']);
      expect([r.code, r.stdout.trim().split('\n').length]).to.deep.equal([0, 4]);
    });
  });
}
