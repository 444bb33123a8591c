import { expect } from 'chai';
import { setupLine } from '../../../lib/shell/commands/key.js';
import { inviteMessage } from '../../../lib/shell/commands/user.js';

describe('shell: messages', () => {
  const expires = new Date('2024-01-08T00:00:00Z');
  const cases: { port: number; expires: Date | null; want: string }[] = [
    { port: 2222, expires, want: "User 7 created.\nTo associate this account with a key, use the following SSH user: 'invite:TOK'.\n  ssh -p 2222 invite:TOK@<portal address>\nThe invite expires at 2024-01-08T00:00:00.000Z.\n" },
    { port: 22, expires: null, want: "User 7 created.\nTo associate this account with a key, use the following SSH user: 'invite:TOK'.\n  ssh invite:TOK@<portal address>\nThe invite does not expire.\n" },
    { port: 0, expires: null, want: "User 7 created.\nTo associate this account with a key, use the following SSH user: 'invite:TOK'.\n  ssh invite:TOK@<portal address>\nThe invite does not expire.\n" },
  ];
  for (const c of cases) it(`user invite on port ${c.port}`, () => expect(inviteMessage(7, 'TOK', c.expires, c.port)).to.equal(c.want));

  it('key setup installs `type base64 sshportal`, whatever the comment', () => {
    const blob = 'AAAAC3NzaC1lZDI1NTE5AAAAIKmSXXFa7d0BoV9eeFIt5Y7YAoIhPz/GB6yZMFFbyKI+';
    expect(setupLine(`ssh-ed25519 ${blob} created by sshportal`)).to.equal(`ssh-ed25519 ${blob} sshportal`);
  });
});
