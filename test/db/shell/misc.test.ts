import { expect } from 'chai';
import { Session } from '../../../lib/db/entities/index.js';
import { drivers } from '../../support/databases.js';
import { runCases, type ShellCase } from './cases.js';
import { openShell, type ShellFixture } from './harness.js';

const cases: ShellCase[] = [
  { cmd: 'version', out: /^1\.2\.3-test\n$/ },
  { cmd: 'info', out: [/^Debug mode \(server\): false\n/, /DB Driver: (sqlite3|mysql)/, /Bind Address: :2222/, /User email: admin@localhost/, /User roles: admin/, /Remote address: 127\.0\.0\.1:50000/] },
  { cmd: 'help', out: [/^Usage: COMMAND \[options\]/, ...['acl', 'config', 'event', 'host', 'hostgroup', 'key', 'session', 'user', 'usergroup', 'userkey', 'info', 'version', 'exit', 'help\\|h'].map((c) => new RegExp(`\\n  ${c} `))] },
  { cmd: 'h', out: /Commands:/ },
  { cmd: '-h', out: /Commands:/ },
  { cmd: '--help', out: /Commands:/ },
  { cmd: 'help acl', out: [/Usage: acl \[options\] \[command\]/, /create \[options\]/, /update \[options\] <ACL\.\.\.>/] },
  { cmd: 'help host create', out: [/Usage: host create \[options\] <URL>/, /-n, --name <name>/, /-g, --group <HOSTGROUP>/, /-o, --hop <HOST>/] },
  { cmd: 'acl create -h', out: [/--hg, --hostgroup <HOSTGROUP>/, /--ug, --usergroup <USERGROUP>/, /-w, --weight <N>/, /-i, --inception <date>/] },
  { cmd: 'acl update -h', out: [/-a, --action <action>/, /--unset-inception/, /--ug, --assign-usergroup <USERGROUP>/, /--unassign-hostgroup <HOSTGROUP>/] },
  { cmd: 'host update -h', out: [/-u, --url <URL>/, /--unset-hop/, /--unset-host-key/, /-g, --assign-group <HOSTGROUP>/] },
  { cmd: 'user update -h', out: [/-i, --invite_token <token>/, /-R, --remove_invite/, /-r, --assign-role <ROLE>/] },
  { cmd: 'config backup -h', out: [/--indent/, /--decrypt/, /--ignore-events/] },
  { cmd: 'config restore -h', out: [/--confirm/, /--decrypt/] },
  { cmd: 'session ls -h', out: /-a, --active/ },
  { cmd: 'key create -h', out: [/-t, --type <type>/, /--length <bits>/] },
  { cmd: 'exit' },
  { cmd: 'exit 3', code: 3, raw: true, check: (r) => expect(r.stderr).to.equal('') },
  { cmd: 'help nope', code: 1, err: /unknown command 'nope'/ },
  { cmd: 'frobnicate', code: 1, err: /unknown command 'frobnicate'/ },
  { cmd: 'host lss', code: 1, err: /unknown command 'lss'/ },
  { cmd: 'host', code: 1, raw: true, check: (r) => expect(r.stderr).to.match(/^Usage: host \[options\] \[command\]/) },
  { cmd: 'host ls "unterminated', code: 1, err: /unterminated double quote/ },
  { cmd: 'event inspect 999', code: 1, err: /unknown event '999'/ },
  { cmd: 'session inspect x', code: 1, err: /invalid session id 'x'/ },
  { cmd: 'session inspect 999', code: 1, err: /unknown session '999'/ },
];

async function addSessions(f: ShellFixture): Promise<void> {
  await f.run('host create web@web1.example.org');
  const now = Date.now();
  await f.db.manager.save(f.db.manager.create(Session, { status: 'closed', userId: 1, hostId: 1, stoppedAt: new Date(now), errMsg: 'connection refused by the target host, try again', comment: '' }));
  await f.db.manager.save(f.db.manager.create(Session, { status: 'active', userId: 1, hostId: 1, stoppedAt: null, errMsg: null, comment: 'live', node: 'n1', remoteAddr: '10.0.0.9:4444', recordings: '["2024/a.cast"]', commands: '["exec: uptime","subsystem: sftp"]' }));
}

const history: ShellCase[] = [
  { cmd: 'session ls', out: [/^ID +USER +HOST +STATUS +START +DURATION +ERROR +COMMENT +NODE\n/, /2 +admin +web1 +active +(?:now|\d+ seconds? ago) +\d+ seconds? +live +n1\n/, /1 +admin +web1 +closed +(?:now|\d+ seconds? ago) +\d+ seconds? +connection refused by the t\.\.\./, /Total: 2 sessions\./] },
  { cmd: 'session ls --active', out: [/2 +admin +web1 +active/, /Total: 1 sessions\./] },
  { cmd: 'session ls -q', out: /^2\n1\n$/ },
  { cmd: 'session ls -l', out: /Total: 1 sessions\./ },
  { cmd: 'session ls --limit 1 -q', out: /^2\n$/ },
  { cmd: 'session ls --offset 1 -q', out: /^1\n$/ },
  { cmd: 'session ls --before 2', out: [/\n1 +admin +web1 +closed/, /Total: 1 sessions\./] },
  { cmd: 'session ls --before 1 -q', out: /^$/ },
  { cmd: 'session ls --active --limit 5 --before 2 -q', out: /^$/ },
  { cmd: 'session ls --limit 10000 --offset 100000 -q', out: /^$/ },
  { cmd: 'session ls --limit 0', code: 1, err: /invalid --limit '0': expected a number of rows from 1 to 10000/ },
  { cmd: 'session ls --limit 10001', code: 1, err: /invalid --limit '10001'/ },
  { cmd: 'session ls --limit=-5', code: 1, err: /invalid --limit '-5'/ },
  { cmd: 'session ls --offset 1.5', code: 1, err: /invalid --offset '1\.5'/ },
  { cmd: 'session ls --before 999', code: 1, err: /unknown session '999'/ },
  { cmd: 'event ls --before web1', code: 1, err: /invalid --before 'web1': expected an id/ },
  { cmd: 'event ls --before 999', code: 1, err: /unknown event '999'/ },
  { cmd: 'event ls --limit', code: 1, err: /option '--limit <N>' argument missing/ },
  { cmd: 'event ls -h', out: [/--limit <N>/, /--offset <N>/, /--before <ID>/] },
  { cmd: 'session inspect 2', out: [/"Status": "active"/, /"User": \{[^}]*"Name": "admin"/, /"Host": \{[^}]*"Name": "web1"/, /"Recordings": \[\s*"2024\/a\.cast"\s*\]/, /"RemoteAddr": "10\.0\.0\.9:4444"/, /"Commands": \[\s*"exec: uptime",\s*"subsystem: sftp"\s*\]/] },
  { cmd: 'event ls', out: [/^ID +AUTHOR +DOMAIN +ACTION +ENTITY +ARGS +DATE\n/, /1 +admin +host +create +web1 +\{"url":"ssh:\/\/web@web1\.exam\.\.\. +(?:now|\d+ seconds? ago)/] },
  { cmd: 'event inspect 1', out: [/"Domain": "host"/, /"Action": "create"/, /"Author": \{[^}]*"Name": "admin"/, /"Args": \{\s*"url": "ssh:\/\/web@web1\.example\.org:22"/] },
];

for (const driver of drivers) {
  describe(`shell info, help, exit, sessions and events on ${driver}`, function () {
    let f: ShellFixture;
    before(async function () { f = await openShell(this, driver); });
    after(async () => { await f?.close(); });
    runCases(() => f, cases);
    describe('with sessions', () => {
      before(async () => addSessions(f));
      runCases(() => f, history);
    });
    it('exit without a status keeps the status of the previous command (line mode)', async () => {
      const r = await f.run(null, { input: 'host nope\nexit\nversion\n' });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.equal('');
    });
  });
}
