/**
 * A backup as the Go sshportal writes it (`config backup --indent
 * --ignore-events` after its integration scenario), built with real keys:
 * URL-only hosts, clear invite token, nested relations, nanosecond dates
 * with a zone offset, roles only nested in users, events null.
 */
import { generateKeyPairSync } from 'node:crypto';
import { generateKeyPair } from '../../../../lib/crypto/ssh-keys.js';

const model = (id: number): Record<string, unknown> => ({
  ID: id, CreatedAt: '2018-03-02T10:11:12.123456789+01:00', UpdatedAt: '2018-03-02T10:11:12.987654321+01:00', DeletedAt: null,
});

/** The Go backup document and facts the tests check. */
let keys: { ed: ReturnType<typeof generateKeyPair>; client: ReturnType<typeof generateKeyPair>; pem: { privateKey: string } } | null = null;

/** An ed25519 pair (lib/crypto retries ssh2's rare unparsable key itself). */
function ed25519(comment: string): ReturnType<typeof generateKeyPair> {
  return generateKeyPair('ed25519', 256, comment);
}

/** Keys are made once per test run (RSA generation is slow). */
function testKeys(): NonNullable<typeof keys> {
  keys ??= {
    ed: ed25519('sshportal'),
    client: ed25519('bob@laptop'),
    pem: generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'pkcs1', format: 'pem' } }),
  };
  return keys;
}

export function goBackup(): { doc: Record<string, unknown>; userKeyLine: string; inviteToken: string } {
  const { ed, pem, client } = testKeys();
  const userKeyBlob = client.publicKey.split(' ')[1];
  const defaultKey = { ...model(1), Name: 'default', Type: 'ed25519', Length: 1, Fingerprint: ed.fingerprint, PrivKey: ed.privateKey, PubKey: ed.publicKey, Hosts: null, Comment: 'created by sshportal' };
  const pemKey = { ...model(2), Name: 'legacy', Type: 'rsa', Length: 2048, Fingerprint: '', PrivKey: pem.privateKey, PubKey: '', Hosts: null, Comment: '' };
  const hg = (id: number, name: string, comment = ''): Record<string, unknown> => ({ ...model(id), Name: name, Hosts: null, ACLs: null, Comment: comment });
  const ug = (id: number, name: string, comment = ''): Record<string, unknown> => ({ ...model(id), Name: name, Users: null, ACLs: null, Comment: comment });
  const host = (id: number, name: string, url: string, groups: Record<string, unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...model(id), Name: name, Addr: '', User: '', Password: '', URL: url, SSHKey: defaultKey, SSHKeyID: 1, HostKey: null,
    Groups: groups, Comment: '', Logging: 'everything', Hop: null, HopID: 0, ...extra,
  });
  const adminRole = { ...model(1), Name: 'admin', Users: null };
  const acl = (id: number, ugs: Record<string, unknown>[], hgs: Record<string, unknown>[], weight: number): Record<string, unknown> => ({
    ...model(id), HostGroups: hgs, UserGroups: ugs, HostPattern: '', Action: 'allow', Weight: weight, Comment: id === 1 ? 'created by sshportal' : 'test', Inception: null, Expiration: null,
  });
  const doc = {
    keys: [defaultKey, pemKey],
    hosts: [
      host(1, 'example', 'ssh://bob@example.org:1234', [hg(1, 'default')]),
      host(2, 'test42', 'ssh://test42', [hg(1, 'default')]),
      host(3, 'testtest', 'ssh://test@test.test', [hg(1, 'default')], { Password: 'test', Comment: 'test', SSHKey: null, SSHKeyID: 0 }),
      host(4, 'hostwithgroups', 'ssh://hostwithgroups.org', [hg(2, 'hg1'), hg(3, 'hg2', 'test')], { HopID: 1, Logging: 'input' }),
      host(5, 'legacy', 'ssh://root:s3cret@legacy.example.org:2222', [], { SSHKeyID: 2 }),
    ],
    user_keys: [{ ...model(1), Key: userKeyBlob, AuthorizedKey: `ssh-ed25519 ${userKeyBlob}\n`, UserID: 1, User: null, Comment: 'bob@laptop' }],
    users: [
      { ...model(1), Roles: [adminRole], Email: 'admin@sshportal', Name: 'admin', Keys: null, Groups: [ug(1, 'default')], Comment: 'created by sshportal', InviteToken: '' },
      { ...model(2), Roles: [], Email: 'bob@example.com', Name: 'bob', Keys: null, Groups: [ug(2, 'ug1')], Comment: '', InviteToken: 'integrationtoken42' },
    ],
    user_groups: [ug(1, 'default', 'created by sshportal'), ug(2, 'ug1'), ug(3, 'ug2', 'test')],
    host_groups: [hg(1, 'default', 'created by sshportal'), hg(2, 'hg1'), hg(3, 'hg2', 'test')],
    acls: [acl(1, [ug(1, 'default')], [hg(1, 'default')], 0), acl(2, [ug(2, 'ug1'), ug(3, 'ug2')], [hg(2, 'hg1'), hg(3, 'hg2')], 42)],
    settings: [],
    events: null,
    sessions: [{ ...model(1), StoppedAt: '2018-03-02T11:00:00Z', Status: 'closed', User: null, Host: null, UserID: 1, HostID: 1, ErrMsg: '', Comment: '' }],
    date: '2018-03-02T12:00:00.000000001+01:00',
  };
  return { doc, userKeyLine: client.publicKey, inviteToken: 'integrationtoken42' };
}
