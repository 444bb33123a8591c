import { expect } from 'chai';
import { generateKeyPair } from '../../../lib/crypto/ssh-keys.js';
import { hashToken } from '../../../lib/crypto/tokens.js';
import { findInvitedUser } from '../../../lib/db/identity.js';
import { User, UserKey } from '../../../lib/db/entities/index.js';
import { drivers } from '../../support/databases.js';
import { runCases, type ShellCase } from './cases.js';
import { openShell, type ShellFixture } from './harness.js';

/** An ed25519 public key line (lib/crypto retries ssh2's rare unparsable key itself). */
function ed25519(comment: string): string {
  return generateKeyPair('ed25519', 256, comment).publicKey;
}
const aliceKey = ed25519('alice@laptop');
const aliceKey2 = ed25519('alice@desktop');
const userByName = (f: ShellFixture, name: string): Promise<User> => f.db.manager.findOneOrFail(User, { where: { name }, relations: { roles: true, groups: true } });

const cases: ShellCase[] = [
  { cmd: 'usergroup create --name=ug1' },
  { cmd: 'user invite alice@example.com', out: [/^User \d+ created\.\n/, /use the following SSH user: 'invite:[A-Za-z0-9]{32}'\.\n/, /ssh -p 2222 invite:[A-Za-z0-9]{32}@/, /The invite expires at \d{4}-/], check: async (r, f) => {
    const token = /invite:([A-Za-z0-9]+)'/.exec(r.stdout)?.[1] ?? '';
    const u = await userByName(f, 'alice');
    expect(u.inviteToken).to.equal(hashToken(token));
    expect(u.groups?.map((g) => g.name)).to.deep.equal(['default']);
    expect((await findInvitedUser(f.db.manager, token, new Date()))?.name).to.equal('alice');
  } },
  { cmd: 'user invite --name=bobby --comment=hi -g ug1 -g default bob@example.com', check: async (_r, f) => {
    expect((await userByName(f, 'bobby')).groups?.map((g) => g.name).sort()).to.deep.equal(['default', 'ug1']);
  } },
  { cmd: 'userkey create alice', input: `${aliceKey}\n`, out: /^\d+\n$/, check: async (_r, f) => {
    const k = await f.db.manager.findOneByOrFail(UserKey, { comment: 'alice@laptop' });
    expect(k.authorizedKey).to.equal(aliceKey.split(' ').slice(0, 2).join(' '));
    expect(k.fingerprint).to.match(/^SHA256:/);
  } },
  { cmd: 'userkey create --comment=desk alice@example.com', input: `\n${aliceKey2}\n` },
  { cmd: 'userkey ls', out: [/^ID +USER +UPDATED +CREATED +COMMENT\n/, /alice@example\.com +(?:now|\d+ seconds? ago) +(?:now|\d+ seconds? ago) +desk/, /Total: 2 userkeys\./] },
  { cmd: 'userkey inspect 1', out: [/"AuthorizedKey": "ssh-ed25519 /, /"User": \{[^}]*"Name": "alice"/] },
  { cmd: 'user ls', out: [/^ID +NAME +EMAIL +ROLES +KEYS +GROUPS +UPDATED +CREATED +COMMENT\n/, /alice +alice@example\.com +2 +default/, /admin +admin@localhost +admin +0 +default/, /Total: 3 users\./] },
  { cmd: 'user ls -q -l', out: /^\d+\n$/ },
  { cmd: 'user inspect alice bob@example.com', out: [/"Name": "alice"/, /"Name": "bobby"/, /"InviteToken": "\[redacted\]"/, /"Keys": \[\s*\{/] },
  { cmd: 'user update --assign-role=listhosts --assign-group=ug1 --unassign-group=default --comment=ops alice', check: async (_r, f) => {
    const u = await userByName(f, 'alice');
    expect(u.roles?.map((r) => r.name)).to.deep.equal(['listhosts']);
    expect(u.groups?.map((g) => g.name)).to.deep.equal(['ug1']);
    expect(u.comment).to.equal('ops');
  } },
  { cmd: 'user update -n alicia -e alicia@example.com alice', check: async (_r, f) => expect(await userByName(f, 'alicia')).to.include({ email: 'alicia@example.com' }) },
  { cmd: 'user update --invite_token=mysecrettoken42 bobby', check: async (_r, f) => expect((await userByName(f, 'bobby')).inviteToken).to.equal(hashToken('mysecrettoken42')) },
  { cmd: 'user update -R bobby', check: async (_r, f) => expect(await userByName(f, 'bobby')).to.include({ inviteToken: '', inviteExpiresAt: null }) },
  { cmd: 'user update -r admin bobby' },
  { cmd: 'user update --unassign-role=admin bobby' },
  { cmd: 'user invite alice2@example.com --name=alicia', code: 1, err: /user 'alicia' already exists/ },
  { cmd: 'user invite not-an-email', code: 1, err: /invalid email 'not-an-email'/ },
  { cmd: 'user invite first+tag@example.com', code: 1, err: /invalid user name 'first\+tag'/ },
  { cmd: 'user invite -g nope carol@example.com', code: 1, err: /unknown user group 'nope'/ },
  { cmd: 'user invite', code: 1, err: /missing required argument 'email'/ },
  { cmd: 'user update --assign-role=root alicia', code: 1, err: /unknown role 'root'/ },
  { cmd: 'user update --unassign-role=admin admin', code: 1, err: /without any admin/ },
  { cmd: 'user rm admin', code: 1, err: /without any admin/ },
  { cmd: 'user update --name=x alicia bobby', code: 1, err: /cannot set --name, --email or --invite_token when updating several users/ },
  { cmd: 'user update --invite_token=short bobby', code: 1, err: /invalid invite token/ },
  { cmd: 'user update -i abcdefghijkl -R bobby', code: 1, err: /cannot use --invite_token and --remove_invite together/ },
  { cmd: 'user update -e nope alicia', code: 1, err: /invalid email 'nope'/ },
  { cmd: 'user inspect nobody', code: 1, err: /unknown user 'nobody'/ },
  { cmd: 'userkey create alicia', input: `${aliceKey}\n`, code: 1, err: /already associated with a user/ },
  { cmd: 'userkey create alicia', input: 'ssh-ed25519 garbage\n', code: 1, err: /invalid public key/ },
  { cmd: 'userkey create alicia', input: '', code: 1, err: /no public key given/ },
  { cmd: 'userkey create nobody', input: `${aliceKey}\n`, code: 1, err: /unknown user 'nobody'/ },
  { cmd: 'userkey inspect abc', code: 1, err: /invalid user key id 'abc'/ },
  { cmd: 'userkey inspect 999', code: 1, err: /unknown user key '999'/ },
  { cmd: 'userkey rm 1' },
  { cmd: 'userkey ls -q', out: /^\d+\n$/ },
  { cmd: 'userkey rm alicia', check: async (_r, f) => expect(await f.db.manager.count(UserKey)).to.equal(0) },
  { cmd: 'user rm bobby alicia' },
  { cmd: 'user ls -q', out: /^\d+\n$/ },
  { cmd: 'event ls', out: [/user +rm +bobby, alicia/, /userkey +rm/, /userkey +create +alice/, /user +update +alice/, /user +invite +bobby/] },
];

for (const driver of drivers) {
  describe(`shell user and userkey on ${driver}`, function () {
    let f: ShellFixture;
    before(async function () { f = await openShell(this, driver); });
    after(async () => { await f?.close(); });
    runCases(() => f, cases);
    it('never writes an invite token into the audit trail', async () => {
      const ids = (await f.run('event ls -q')).stdout.trim().split('\n').join(' ');
      expect((await f.run(`event inspect ${ids}`)).stdout).not.to.match(/mysecrettoken42/);
    });
  });
}
