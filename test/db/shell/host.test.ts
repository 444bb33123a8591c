import { expect } from 'chai';
import { Host } from '../../../lib/db/entities/index.js';
import { drivers } from '../../support/databases.js';
import { runCases, type ShellCase } from './cases.js';
import { openShell, type ShellFixture } from './harness.js';

const hostByName = (f: ShellFixture, name: string): Promise<Host> => f.db.manager.findOneOrFail(Host, { where: { name }, relations: { groups: true } });

const cases: ShellCase[] = [
  { cmd: 'hostgroup create --name=hg1' },
  { cmd: 'hostgroup create --name=hg2' },
  { cmd: 'key create --name=k2' },
  { cmd: 'host create bob@example.org:1234', out: /^\d+\n$/, check: async (_r, f) => {
    expect(await hostByName(f, 'example')).to.include({ addr: 'example.org:1234', user: 'bob', url: 'ssh://bob@example.org:1234', logging: 'everything', password: null });
  } },
  { cmd: 'host create test42', check: async (_r, f) => expect(await hostByName(f, 'test42')).to.include({ addr: 'test42:22', user: 'root' }) },
  { cmd: 'host create --name=testtest --comment=test --password=test test@test.test', check: async (_r, f) => {
    const h = await hostByName(f, 'testtest');
    expect(h.password).to.match(/^enc:v1:/);
    expect(f.db.cipher.decrypt(h.password ?? '')).to.equal('test');
    expect(h.sshKeyId).to.equal(null);
  } },
  { cmd: 'host create --group=hg1 --group=hg2 hostwithgroups.org', check: async (_r, f) => {
    expect((await hostByName(f, 'hostwithgroups')).groups?.map((g) => g.name).sort()).to.deep.equal(['hg1', 'hg2']);
  } },
  { cmd: 'host create -g hg1,hg2 -k k2 -o example -l input -n web1 ssh://deploy:pw@10.0.0.5:2200', check: async (_r, f) => {
    const h = await hostByName(f, 'web1');
    expect(h).to.include({ addr: '10.0.0.5:2200', user: 'deploy', logging: 'input', url: 'ssh://deploy@10.0.0.5:2200' });
    expect(f.db.cipher.decrypt(h.password ?? '')).to.equal('pw');
  } },
  { cmd: 'host create 10.1.2.3', out: /^\d+\n$/ },
  { cmd: 'host inspect example test42 testtest hostwithgroups', out: [/"Name": "example"/, /"Name": "hostwithgroups"/, /"Password": "\[redacted\]"/, /"PrivKey": "\[redacted\]"/] },
  { cmd: 'host inspect --decrypt testtest', out: /"Password": "test"/ },
  { cmd: 'host inspect web1', out: [/"Hop": \{[^}]*"Name": "example"/, /"HopID": \d+/, /"SSHKey": \{[^}]*"Name": "k2"/] },
  { cmd: 'host ls', out: [/^ID +NAME +URL +KEY +GROUPS +UPDATED +CREATED +COMMENT +HOP +LOGGING\n/, /web1 +ssh:\/\/deploy@10\.0\.0\.5:2200 +k2 +hg1, hg2 +(?:now|\d+ seconds? ago) +(?:now|\d+ seconds? ago) +example +input/, /Total: 6 hosts\.\n$/] },
  // Read apart from the table (ids only): the same ids in the same order, newest first.
  { cmd: 'host ls -q', out: /^(\d+\n){6}$/, check: async (r, f) => {
    const table = (await f.run('host ls')).stdout.split('\n').slice(1, -2).map((line) => line.split(' ')[0]);
    expect(r.stdout.trim().split('\n')).to.deep.equal(table);
    expect((await f.run('host ls -q -l')).stdout).to.equal(`${table[0] ?? ''}\n`);
  } },
  { cmd: 'host ls -l', out: [/10\.1\.2\.3/, /Total: 1 hosts\./] },
  { cmd: 'host update --comment=updated --logging=disabled --assign-group=hg1 --unassign-group=default example test42' },
  { cmd: 'host inspect example', out: [/"Comment": "updated"/, /"Logging": "disabled"/, /"Name": "hg1"/], check: async (_r, f) => {
    expect((await hostByName(f, 'example')).groups?.map((g) => g.name)).to.deep.equal(['hg1']);
  } },
  { cmd: 'host update -u alice@new.example.org:2022 -n renamed test42', check: async (_r, f) => expect(await hostByName(f, 'renamed')).to.include({ addr: 'new.example.org:2022', user: 'alice' }) },
  { cmd: 'host update --unset-hop web1', check: async (_r, f) => expect((await hostByName(f, 'web1')).hopId).to.equal(null) },
  { cmd: 'host update --hop renamed example' },
  { cmd: 'host update --unset-password --key default testtest', check: async (_r, f) => expect(await hostByName(f, 'testtest')).to.include({ password: null }) },
  { cmd: 'host update --unset-host-key example', check: async (_r, f) => expect((await hostByName(f, 'example')).hostKey).to.equal(null) },
  { cmd: 'host create bob@example.org', code: 1, err: /host 'example' already exists/ },
  { cmd: 'host create --name=bad/name x@y', code: 1, err: /invalid host name 'bad\/name'/ },
  { cmd: 'host create telnet://x@y', code: 1, err: /unsupported URL scheme 'telnet'/ },
  { cmd: 'host create x@y:99999', code: 1, err: /invalid port '99999'/ },
  // Past their columns: SQLite kept them (and the backup then did not restore), MariaDB failed with an internal error.
  { cmd: `host create --name=longuser ${'u'.repeat(256)}@example.org`, code: 1, err: /error: invalid URL: user name longer than 255 characters/ },
  { cmd: `host create --name=longurl ${'%C3%A9'.repeat(200)}@example.org`, code: 1, err: /error: invalid URL: longer than 1024 characters once its user name is encoded/ },
  { cmd: 'host create --name=n1 x@y:abc', code: 1, err: /invalid port 'abc'/ },
  { cmd: 'host create --name=n1 --group=nope x@y', code: 1, err: /unknown host group 'nope'/ },
  { cmd: 'host create --name=n1 --key=nope x@y', code: 1, err: /unknown key 'nope'/ },
  { cmd: 'host create --name=n1 --key=host x@y', code: 1, err: /portal's own host key/ },
  { cmd: 'host create --name=n1 --hop=nope x@y', code: 1, err: /unknown host 'nope'/ },
  { cmd: 'host create --name=n1 --logging=all x@y', code: 1, err: /invalid logging mode 'all'/ },
  { cmd: 'host create --name=n1 -p a x:b@y', code: 1, err: /password given twice/ },
  { cmd: 'host create a@b c@d', code: 1, err: /too many arguments/ },
  { cmd: 'host create', code: 1, err: /missing required argument 'URL'/ },
  { cmd: 'host update --name=x example renamed', code: 1, err: /cannot set --name when updating several hosts/ },
  { cmd: 'host update --hop=example renamed', code: 1, err: /hop chain would lead back to the host itself/ },
  { cmd: 'host update --hop=example example', code: 1, err: /lead back/ },
  { cmd: 'host update --hop=web1 --unset-hop example', code: 1, err: /cannot use --hop and --unset-hop together/ },
  { cmd: 'host update --url=ftp://x example', code: 1, err: /unsupported URL scheme 'ftp'/ },
  { cmd: 'host update --assign-group=nope example', code: 1, err: /unknown host group 'nope'/ },
  { cmd: 'host update --logging=loud example', code: 1, err: /invalid logging mode 'loud'/ },
  { cmd: 'host update --comment=x nope', code: 1, err: /unknown host 'nope'/ },
  { cmd: 'host rm renamed', code: 1, err: /host 'renamed' is the hop of 'example'/ },
  { cmd: 'host rm nope', code: 1, err: /unknown host 'nope'/ },
  { cmd: 'host inspect 999', code: 1, err: /unknown host '999'/ },
  { cmd: 'key rm k2', code: 1, err: /key 'k2' is used by host 'web1'/ },
  { cmd: 'host rm renamed example' },
  { cmd: 'host ls -q', out: /^(\d+\n){4}$/ },
  { cmd: 'event ls', out: [/host +rm +renamed, example/, /host +update +example, test42/, /host +create +testtest/] },
  { cmd: 'event ls -l', out: /host +rm/ },
];

for (const driver of drivers) {
  describe(`shell host on ${driver}`, function () {
    let f: ShellFixture;
    before(async function () { f = await openShell(this, driver); });
    after(async () => { await f?.close(); });
    runCases(() => f, cases);
    it('never writes a password into the audit trail', async () => {
      const r = await f.run('event inspect ' + (await f.run('event ls -q')).stdout.trim().split('\n').join(' '));
      expect(r.stdout).not.to.match(/"pw"|"password": "test"|deploy:pw/);
      expect(r.stdout).to.match(/"password": "\[redacted\]"/);
    });
  });
}
