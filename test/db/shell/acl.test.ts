import { expect } from 'chai';
import { Acl } from '../../../lib/db/entities/index.js';
import { drivers } from '../../support/databases.js';
import { runCases, type ShellCase } from './cases.js';
import { openShell, type ShellFixture } from './harness.js';

const aclById = (f: ShellFixture, id: number): Promise<Acl> => f.db.manager.findOneOrFail(Acl, { where: { id }, relations: { userGroups: true, hostGroups: true } });
const names = (groups: { name: string }[] | undefined): string[] => (groups ?? []).map((g) => g.name).sort();

const cases: ShellCase[] = [
  { cmd: 'hostgroup create --name=hg1' },
  { cmd: 'hostgroup create --name=hg2' },
  { cmd: 'usergroup create --name=ug1' },
  { cmd: 'usergroup create --name=ug2' },
  { cmd: 'acl create --ug=ug1 --ug=ug2 --hg=hg1 --hg=hg2 --comment=test --action=allow --weight=42', out: /^2\n$/, check: async (_r, f) => {
    const a = await aclById(f, 2);
    expect(a).to.include({ action: 'allow', weight: 42, comment: 'test', hostPattern: '' });
    expect(names(a.userGroups)).to.deep.equal(['ug1', 'ug2']);
    expect(names(a.hostGroups)).to.deep.equal(['hg1', 'hg2']);
  } },
  { cmd: 'acl create --usergroup ug1 --pattern "web-*" --action deny -w 5 -i "2024-01-01 10:00" -e 2030-01-01T00:00:00Z', out: /^3\n$/, check: async (_r, f) => {
    const a = await aclById(f, 3);
    expect(a).to.include({ action: 'deny', weight: 5, hostPattern: 'web-*' });
    expect(a.inception?.toISOString()).to.equal('2024-01-01T10:00:00.000Z');
    expect(a.expiration?.toISOString()).to.equal('2030-01-01T00:00:00.000Z');
  } },
  { cmd: 'acl inspect 2', out: [/"Weight": 42/, /"HostGroups": \[/, /"UserGroups": \[/, /"Name": "ug2"/] },
  { cmd: 'acl inspect 3', out: [/"Inception": "2024-01-01T10:00:00.000Z"/, /"HostPattern": "web-\*"/] },
  { cmd: 'acl ls', out: [
    /^ID +WEIGHT +USER GROUPS +HOST GROUPS +HOST PATTERN +ACTION +POLICY +INCEPTION +EXPIRATION +UPDATED +CREATED +COMMENT\n/,
    /3 +5 +ug1 +web-\* +deny +defaults +2024-01-01 10:00 UTC +2030-01-01 00:00 UTC +(?:now|\d+ seconds? ago) +(?:now|\d+ seconds? ago)/,
    /2 +42 +ug1, ug2 +hg1, hg2 +allow/, /Total: 3 ACLs\./,
  ] },
  { cmd: 'acl ls -q', out: /^3\n2\n1\n$/ },
  { cmd: 'acl update -a deny -w 0 -c changed --unassign-usergroup ug2 --hg default --unassign-hostgroup hg1 2', check: async (_r, f) => {
    const a = await aclById(f, 2);
    expect(a).to.include({ action: 'deny', weight: 0, comment: 'changed' });
    expect(names(a.userGroups)).to.deep.equal(['ug1']);
    expect(names(a.hostGroups)).to.deep.equal(['default', 'hg2']);
  } },
  { cmd: 'acl update --unset-inception --unset-expiration -p "db-*" 3', check: async (_r, f) => {
    expect(await aclById(f, 3)).to.include({ inception: null, expiration: null, hostPattern: 'db-*' });
  } },
  { cmd: 'acl update --assign-usergroup ug2 2 3', check: async (_r, f) => {
    expect(names((await aclById(f, 2)).userGroups)).to.deep.equal(['ug1', 'ug2']);
    expect(names((await aclById(f, 3)).userGroups)).to.deep.equal(['ug1', 'ug2']);
  } },
  { cmd: 'acl create --hg=hg1', code: 1, err: /at least one user group/ },
  { cmd: 'acl create --ug=ug1', code: 1, err: /at least one host group or host pattern/ },
  { cmd: 'acl create --ug=ug1 --hg=hg1 --action=maybe', code: 1, err: /invalid action 'maybe'/ },
  { cmd: 'acl create --ug=ug1 --hg=hg1 --weight=-3', code: 1, err: /invalid weight '-3'/ },
  { cmd: 'acl create --ug=ug1 --hg=hg1 --weight=heavy', code: 1, err: /invalid weight 'heavy'/ },
  { cmd: 'acl create --ug=ug1 --hg=hg1 --inception=soon', code: 1, err: /invalid date 'soon'/ },
  { cmd: 'acl create --ug=ug1 --hg=hg1 -i "2030-01-01 00:00" -e "2020-01-01 00:00"', code: 1, err: /inception must be before the expiration/ },
  { cmd: 'acl create --ug=nope --hg=hg1', code: 1, err: /unknown user group 'nope'/ },
  { cmd: 'acl create --ug=ug1 --hg=nope', code: 1, err: /unknown host group 'nope'/ },
  { cmd: 'acl update --unassign-usergroup ug1 --unassign-usergroup ug2 3', code: 1, err: /at least one user group/ },
  { cmd: 'acl update --unassign-hostgroup hg2 --unassign-hostgroup default 2', code: 1, err: /at least one host group or host pattern/ },
  { cmd: 'acl update -i "2024-01-01 00:00" --unset-inception 2', code: 1, err: /cannot use --inception and --unset-inception together/ },
  { cmd: 'acl update -a x 2', code: 1, err: /invalid action 'x'/ },
  { cmd: 'acl create --ug=ug1 --hg=hg1 --shell=no --exec=No --file-copy=no --local-forward="db:5432, *.internal:*" --remote-forward=none --agent-forward=no --x11=no', out: /^4\n$/, check: async (_r, f) => {
    expect(await aclById(f, 4)).to.include({ shell: 'no', exec: 'no', fileCopy: 'no', localForward: 'db:5432,*.internal:*', remoteForward: 'none', agentForward: 'no', x11: 'no' });
  } },
  { cmd: 'acl inspect 4', out: [/"Shell": "no"/, /"LocalForward": "db:5432,\*\.internal:\*"/, /"RemoteForward": "none"/, /"X11": "no"/] },
  { cmd: 'acl inspect 2', out: [/"Shell": "yes"/, /"LocalForward": "any"/, /"AgentForward": "yes"/] },
  { cmd: 'acl ls', out: /4 +0 +ug1 +hg1 +allow +shell=no exec=no file-copy=no local-forward=db:5432,\*\.internal:\* remote-forward=none agent-forward=no x11=no/ },
  { cmd: 'acl update --x11=yes --local-forward=any 4', check: async (_r, f) => {
    expect(await aclById(f, 4)).to.include({ shell: 'no', x11: 'yes', localForward: 'any' });
  } },
  { cmd: 'acl create --ug=ug1 --hg=hg1 --x11=maybe', code: 1, err: /^error: invalid --x11 'maybe': yes or no$/ },
  { cmd: 'acl create --ug=ug1 --hg=hg1 --local-forward=db', code: 1, err: /invalid --local-forward entry 'db'/ },
  { cmd: 'acl update --remote-forward=x:y 4', code: 1, err: /invalid --remote-forward entry 'x:y'/ },
  { cmd: 'acl create --ug=ug1 --pattern=!db-*', code: 1, err: /invalid pattern '!db-\*': a pattern needs at least one entry that is not a negation/ },
  { cmd: 'acl create --ug=ug1 --pattern=WEB-*,!web-old', out: /^5\n$/, check: async (_r, f) => {
    const a = await aclById(f, 5);
    expect(a.hostPattern).to.equal('WEB-*,!web-old');
    expect(a.hostGroups).to.have.length(0);
  } },
  { cmd: 'acl update --unset-pattern --hg hg1 5', check: async (_r, f) => expect((await aclById(f, 5)).hostPattern).to.equal('') },
  { cmd: 'acl update --unset-pattern --pattern=x 5', code: 1, err: /cannot use --pattern and --unset-pattern together/ },
  { cmd: 'acl update --unset-pattern --unassign-hostgroup hg1 5', code: 1, err: /at least one host group or host pattern/ },
  { cmd: 'acl rm 4 5' },
  { cmd: 'acl inspect two', code: 1, err: /invalid ACL id 'two'/ },
  { cmd: 'acl rm 99', code: 1, err: /unknown ACL '99'/ },
  { cmd: 'acl rm 3' },
  { cmd: 'acl ls -q', out: /^2\n1\n$/ },
  { cmd: 'hostgroup rm hg2', check: async (_r, f) => expect(names((await aclById(f, 2)).hostGroups)).to.deep.equal(['default']) },
  { cmd: 'user invite alice@example.org --name=alice --group=ug1', out: /invite/ },
  { cmd: 'host create --name=web-1 --group=hg1 u@127.0.0.1:22', out: /^\d+\n$/ },
  { cmd: 'acl check alice web-1', out: /^decision: deny\nacl: none\nreason: no matching ACL\n$/ },
  { cmd: 'acl create --ug=ug1 --pattern=web-* --file-copy=no --weight=3', out: /^\d+\n$/ },
  { cmd: 'acl check alice web-1', out: /^decision: allow\nacl: \d+ \(weight 3, allow\)\nreason: .*\nshell: yes\nexec: yes\nfile-copy: no\nlocal-forward: any\nremote-forward: any\nagent-forward: yes\nx11: yes\n$/ },
  { cmd: 'acl create --ug=ug1 --pattern=web-* --action=deny --weight=3', out: /^\d+\n$/ },
  { cmd: 'acl check alice@example.org web-1', out: /^decision: deny\nacl: \d+ \(weight 3, deny\)\n/ },
  { cmd: 'acl check alice nohost', code: 1, err: /unknown host 'nohost'/ },
  { cmd: 'acl check bob web-1', code: 1, err: /unknown user 'bob'/ },
  { cmd: 'event ls', out: [/acl +rm +3/, /acl +update +2, 3/, /acl +create +3/] },
];

for (const driver of drivers) {
  describe(`shell acl on ${driver}`, function () {
    let f: ShellFixture;
    before(async function () { f = await openShell(this, driver); });
    after(async () => { await f?.close(); });
    runCases(() => f, cases);
  });
}
