import { drivers } from '../../support/databases.js';
import { runCases, type ShellCase } from './cases.js';
import { openShell, type ShellFixture } from './harness.js';

const denied = /^error: permission denied$/;

const setup: ShellCase[] = [
  { cmd: 'user invite --name=plain plain@example.com' },
  { cmd: 'user invite --name=lister lister@example.com' },
  { cmd: 'user update --assign-role=listhosts lister' },
  { cmd: 'host create web@web1.example.org' },
];

const plain: ShellCase[] = [
  'host ls', 'host ls -q', 'host inspect web1', 'host create x@y', 'host rm web1', 'host update -c x web1',
  'hostgroup ls', 'hostgroup create --name=x', 'usergroup ls', 'acl ls', 'acl create --ug=default --hg=default',
  'key ls', 'key show default', 'key setup default', 'key create', 'key inspect host',
  'user ls', 'user invite x@example.com', 'user update -r admin plain', 'userkey ls', 'event ls', 'session ls', 'config backup',
  'config restore --confirm',
].map((cmd): ShellCase => ({ cmd, user: 'plain', code: 1, err: denied }));

const open: ShellCase[] = [
  { cmd: 'info', user: 'plain', out: [/User name: plain/, /Version: 1\.2\.3-test/] },
  { cmd: 'version', user: 'plain', out: /^1\.2\.3-test\n$/ },
  { cmd: 'help', user: 'plain', out: /Commands:/ },
  { cmd: 'h host', user: 'plain', out: /Usage: host/ },
  { cmd: 'host -h', user: 'plain', out: /Usage: host/ },
  { cmd: 'exit', user: 'plain' },
];

const lister: ShellCase[] = [
  { cmd: 'host ls', user: 'lister', out: [/web1/, /Total: 1 hosts\./] },
  { cmd: 'host ls -q -l', user: 'lister', out: /^\d+\n$/ },
  ...['host inspect web1', 'host create x@y', 'host rm web1', 'user ls', 'config backup'].map((cmd): ShellCase => ({ cmd, user: 'lister', code: 1, err: denied })),
  { cmd: 'user update --unassign-role=listhosts lister' },
  { cmd: 'host ls', user: 'lister', code: 1, err: denied },
];

for (const driver of drivers) {
  describe(`shell roles on ${driver}`, function () {
    let f: ShellFixture;
    before(async function () { f = await openShell(this, driver); });
    after(async () => { await f?.close(); });
    runCases(() => f, [...setup, ...plain, ...open, ...lister]);
  });
}
