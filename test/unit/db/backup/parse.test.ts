import { expect } from 'chai';
import { createFieldCipher } from '../../../../lib/crypto/field-cipher.js';
import { hashToken } from '../../../../lib/crypto/tokens.js';
import { parsePublicKey } from '../../../../lib/crypto/ssh-keys.js';
import { parseBackup } from '../../../../lib/db/backup/parse.js';
import { prepareBackup, prepareBackupYielding } from '../../../../lib/db/backup/prepare.js';
import type { BackupPlan, HostRow } from '../../../../lib/db/backup/plan.js';
import { hopOrder } from '../../../../lib/db/backup/write.js';
import { MAX_COMMANDS_JSON_CHARS } from '../../../../lib/db/session-commands.js';
import { backupChecks } from '../../../../lib/shell/backup-checks.js';
import { goBackup } from './go-backup.fixture.js';

const now = new Date('2024-01-01T00:00:00Z');
/** A connector key (ed25519) and its fingerprint, as `config backup` writes them. */
const sshString = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
const connector = { AuthorizedKey: `ssh-ed25519 ${Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(Buffer.alloc(32, 7))]).toString('base64')}`, Fingerprint: '' };
connector.Fingerprint = parsePublicKey(connector.AuthorizedKey).fingerprint;
const cipher = createFieldCipher('0123456789abcdef');
const prep = { cipher, storeClear: false, now, inviteTtlMs: 3600_000, checks: backupChecks };

describe('backup: parsing a Go sshportal backup', () => {
  it('reads every collection and rebuilds the links from both sides', () => {
    const p = parseBackup(goBackup().doc, now, backupChecks);
    expect(p.keys.map((k) => k.name)).to.deep.equal(['default', 'legacy']);
    expect(p.hosts.map((h) => h.name)).to.deep.equal(['example', 'test42', 'testtest', 'hostwithgroups', 'legacy']);
    expect(p.roles.map((r) => r.name)).to.deep.equal(['admin']);
    expect(p.links.hostGroups).to.deep.equal([[1, 1], [2, 1], [3, 1], [4, 2], [4, 3]]);
    expect(p.links.userRoles).to.deep.equal([[1, 1]]);
    expect(p.links.userGroups).to.deep.equal([[1, 1], [2, 2]]);
    expect(p.links.userGroupAcls).to.deep.equal([[1, 1], [2, 2], [3, 2]]);
    expect(p.links.hostGroupAcls).to.deep.equal([[1, 1], [2, 2], [3, 2]]);
    expect(p.events).to.equal(null);
    expect(p.hosts[0]?.createdAt.toISOString()).to.equal('2018-03-02T09:11:12.123Z');
    expect(p.date?.toISOString()).to.equal('2018-03-02T11:00:00.000Z');
  });

  it('prepares it: URL-only hosts get an address, URL passwords move out and are encrypted, tokens are hashed', () => {
    const p = prepareBackup(parseBackup(goBackup().doc, now, backupChecks), prep);
    const byName = new Map(p.hosts.map((h) => [h.name, h]));
    expect(byName.get('example')).to.include({ addr: 'example.org:1234', user: 'bob', url: 'ssh://bob@example.org:1234' });
    expect(byName.get('test42')).to.include({ addr: 'test42:22', user: 'root' });
    const legacy = byName.get('legacy') as HostRow;
    expect(legacy).to.include({ addr: 'legacy.example.org:2222', user: 'root', url: 'ssh://root@legacy.example.org:2222' });
    expect(cipher.decrypt(legacy.password ?? '')).to.equal('s3cret');
    expect(cipher.decrypt(byName.get('testtest')?.password ?? '')).to.equal('test');
    expect(p.users[1]?.inviteToken).to.equal(hashToken('integrationtoken42'));
    expect(p.users[1]?.inviteExpiresAt?.toISOString()).to.equal('2024-01-01T01:00:00.000Z');
    expect(p.keys[1]).to.include({ type: 'rsa', length: 2048 });
    expect(p.keys[1]?.pubKey).to.match(/^ssh-rsa AAAA/);
    expect(cipher.decrypt(p.keys[1]?.privKey ?? '')).to.match(/BEGIN RSA PRIVATE KEY/);
    expect(p.userKeys[0]?.fingerprint).to.match(/^SHA256:/);
  });

  it('keeps hosts, hop first, in an order that can be inserted', () => {
    const rows = [{ id: 1, hopId: 3 }, { id: 2, hopId: null }, { id: 3, hopId: 2 }] as HostRow[];
    expect(hopOrder(rows).map((h) => h.id)).to.deep.equal([2, 3, 1]);
  });

  it('orders a chain as long as the backup without recursing', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => ({ id: i + 1, hopId: i === 0 ? null : i })).reverse() as HostRow[];
    const order = hopOrder(rows).map((h) => h.id);
    expect(order.length).to.equal(100_000);
    expect(order.slice(0, 3)).to.deep.equal([1, 2, 3]);
  });

  it('checks a long hop chain in linear time, and names a host of the loop a chain runs into', () => {
    const { doc } = goBackup();
    const hosts = doc.hosts as Record<string, unknown>[];
    const base = { URL: 'ssh://root@10.0.0.1:22', CreatedAt: '2018-03-02T09:11:12.123Z', UpdatedAt: '2018-03-02T09:11:12.123Z' };
    // Hosts 1000.. chained one behind another: 20,000 walks of up to 20,000 hops each took 14 s before.
    for (let i = 0; i < 20_000; i++) hosts.push({ ...base, ID: 1000 + i, Name: `chain${i}`, HopID: i === 0 ? null : 999 + i });
    const t0 = performance.now();
    expect(parseBackup(doc, now, backupChecks).hosts).to.have.length(20_005);
    expect(performance.now() - t0).to.be.below(5000);
    // chain0 ⇄ chain1, a loop of two, walked first from 'example', which is not in it.
    hosts[0] = { ...hosts[0], HopID: 1001 };
    hosts[5] = { ...hosts[5], HopID: 1001 };
    expect(() => parseBackup(doc, now, backupChecks)).to.throw(/host 'chain\d' reaches itself through its hops/);
  });

  it('reads 30 sessions of 6,000 commands each in linear time, keeping what the column holds', () => {
    const { doc } = goBackup();
    // Measuring each entry by serializing the whole list again held the event loop 9.2 s here.
    doc.sessions = Array.from({ length: 30 }, (_, i) => ({ ID: i + 1, Status: 'closed', Commands: Array.from({ length: 6000 }, () => '') }));
    const t0 = performance.now();
    const sessions = parseBackup(doc, now, backupChecks).sessions;
    expect(performance.now() - t0).to.be.below(1000);
    const kept = JSON.parse(sessions[0]?.commands ?? '[]') as string[];
    // As the portal writes the column: entries while its JSON fits, the rest dropped.
    expect(kept.length).to.equal(Math.floor((MAX_COMMANDS_JSON_CHARS - 2 + 1) / 3));
    expect(sessions[0]?.commands?.length).to.be.at.most(MAX_COMMANDS_JSON_CHARS);
  });

  const broken: { name: string; edit: (d: Record<string, unknown>) => void; message: RegExp }[] = [
    { name: 'not an object', edit: (d) => { for (const k of Object.keys(d)) Reflect.deleteProperty(d, k); Object.assign(d, { hosts: 'x' }); }, message: /backup.hosts: expected an array/ },
    { name: 'an id that is not a number', edit: (d) => { (d.hosts as Record<string, unknown>[])[0].ID = 'x'; }, message: /backup.hosts\[0\].ID: expected a whole number/ },
    { name: 'a bad date', edit: (d) => { (d.keys as Record<string, unknown>[])[0].CreatedAt = 'yesterday'; }, message: /backup.keys\[0\].CreatedAt: invalid date/ },
    { name: 'a date past the year 9999 in UTC', edit: (d) => { (d.keys as Record<string, unknown>[])[0].CreatedAt = '9999-12-31T23:30:00-05:00'; }, message: /backup.keys\[0\].CreatedAt: invalid date '9999-12-31T23:30:00-05:00': after the year 9999 in UTC$/ },
    { name: 'duplicate host names', edit: (d) => { (d.hosts as Record<string, unknown>[])[1].Name = 'example'; }, message: /hosts: duplicate name 'example'/ },
    { name: 'duplicate ids', edit: (d) => { (d.host_groups as Record<string, unknown>[])[1].ID = 1; }, message: /host_groups: duplicate ID 1/ },
    { name: 'a bad action', edit: (d) => { (d.acls as Record<string, unknown>[])[0].Action = 'maybe'; }, message: /invalid action 'maybe'/ },
    // Held to the shell's rules: a megabyte pattern cost 464 ms at every access check; a C1 control starts an escape sequence on the terminal of `host ls`.
    { name: 'a megabyte host pattern', edit: (d) => { Object.assign((d.acls as Record<string, unknown>[])[0], { HostPattern: 'x,'.repeat(500_000) + 'x', Shell: 'yes' }); },
      message: /^invalid backup: backup\.acls\[0\]\.HostPattern: invalid pattern 'x,x,x,[^']{0,60}…': comma-separated globs on host names, without blanks, at most 255 characters, not only negations$/ },
    { name: 'a pattern of negations only', edit: (d) => { Object.assign((d.acls as Record<string, unknown>[])[0], { HostPattern: '!web-*', Shell: 'yes' }); }, message: /backup\.acls\[0\]\.HostPattern: invalid pattern '!web-\*'/ },
    { name: 'a host name with a C1 control', edit: (d) => { (d.hosts as Record<string, unknown>[])[0].Name = 'a\u009b31mred'; }, message: /backup\.hosts\[0\]\.Name: invalid host name/ },
    { name: 'a comment past 1024 characters', edit: (d) => { (d.hosts as Record<string, unknown>[])[0].Comment = 'c'.repeat(1025); }, message: /^invalid backup: backup\.hosts\[0\]\.Comment: longer than 1024 characters$/ },
    { name: 'a bad logging mode', edit: (d) => { (d.hosts as Record<string, unknown>[])[0].Logging = 'all'; }, message: /invalid logging mode 'all'/ },
    { name: 'a hop loop', edit: (d) => { (d.hosts as Record<string, unknown>[])[0].HopID = 4; (d.hosts as Record<string, unknown>[])[3].HopID = 1; }, message: /reaches itself through its hops/ },
    { name: 'an empty name', edit: (d) => { (d.users as Record<string, unknown>[])[0].Name = ''; }, message: /invalid user name ''/ },
    { name: 'a role with two names', edit: (d) => { ((d.users as Record<string, unknown>[])[1].Roles as unknown[]).push({ ID: 1, Name: 'other' }); }, message: /role 1 has two names/ },
  ];
  // Every integer column is an INT on MariaDB: past it, a restore failed there as an internal error, and a
  // safe-integer id or Seq restored on SQLite left the next insert or audit append failing for good.
  const top = 2_147_483_647;
  // Ids and Seq stop a million below it: the rows and events written after a restore must still fit.
  const topId = top - 1_000_000;
  const rows = (d: Record<string, unknown>, key: string): Record<string, unknown>[] => d[key] as Record<string, unknown>[];
  const chained = (seq: number): Record<string, unknown> => ({ ID: 1, Domain: 'host', Action: 'create', Seq: seq, PrevHash: '0'.repeat(64), Hash: '1'.repeat(64) });
  const ranges: { name: string; edit: (d: Record<string, unknown>) => void; message: RegExp | null }[] = [
    { name: 'the largest id', edit: (d) => { rows(d, 'user_groups')[2].ID = topId; }, message: null },
    { name: 'an id past the largest (room kept for the rows after it)', edit: (d) => { rows(d, 'user_groups')[2].ID = topId + 1; }, message: /^invalid backup: backup\.user_groups\[2\]\.ID: out of range \(at most 2146483647\)$/ },
    { name: 'an id of INT\'s largest (the next insert would fail)', edit: (d) => { rows(d, 'user_groups')[2].ID = top; }, message: /backup\.user_groups\[2\]\.ID: out of range/ },
    { name: 'the largest safe integer as an id', edit: (d) => { rows(d, 'user_groups')[2].ID = Number.MAX_SAFE_INTEGER; }, message: /backup\.user_groups\[2\]\.ID: out of range/ },
    { name: 'a nested id past INT', edit: (d) => { rows(d, 'hosts')[0].Groups = [{ ID: top + 1 }]; }, message: /backup\.hosts\[0\]\.Groups\[0\]\.ID: out of range/ },
    { name: 'a reference past INT', edit: (d) => { rows(d, 'hosts')[0].HopID = top + 1; }, message: /backup\.hosts\[0\]\.HopID: out of range/ },
    { name: 'a weight past INT', edit: (d) => { rows(d, 'acls')[0].Weight = top + 1; }, message: /backup\.acls\[0\]\.Weight: out of range/ },
    { name: 'a key length past INT', edit: (d) => { rows(d, 'keys')[0].Length = top + 1; }, message: /backup\.keys\[0\]\.Length: out of range/ },
    { name: 'the largest Seq', edit: (d) => { d.events = [chained(topId)]; }, message: null },
    { name: 'a Seq of INT\'s largest (the next append would fail)', edit: (d) => { d.events = [chained(top)]; }, message: /backup\.events\[0\]\.Seq: out of range \(at most 2146483647\)/ },
    { name: 'a Seq past INT', edit: (d) => { d.events = [chained(Number.MAX_SAFE_INTEGER)]; }, message: /backup\.events\[0\]\.Seq: out of range/ },
    { name: 'a checkpoint id of INT\'s largest (the next checkpoint would fail)', edit: (d) => { d.audit_checkpoints = [{ ID: top, Seq: 1, Hash: '1'.repeat(64), PublicKey: 'AAAA', Signature: 'AAAA' }]; }, message: /backup\.audit_checkpoints\[0\]\.ID: out of range \(at most 2146483647\)/ },
    { name: 'a checkpoint Seq past INT', edit: (d) => { d.audit_checkpoints = [{ Seq: top + 1, Hash: '1'.repeat(64), PublicKey: 'AAAA', Signature: 'AAAA' }]; }, message: /backup\.audit_checkpoints\[0\]\.Seq: out of range/ },
    { name: 'a tunnel key host past INT', edit: (d) => { d.tunnel_keys = [{ ID: 1, HostID: top + 1, ...connector }]; }, message: /backup\.tunnel_keys\[0\]\.HostID: out of range/ },
    { name: 'a negative id', edit: (d) => { rows(d, 'user_groups')[2].ID = -1; }, message: /backup\.user_groups\[2\]\.ID: expected a whole number/ },
    { name: 'a seal longer than INT (a file length, not a column)', edit: (d) => { rows(d, 'sessions')[0].Seals = [{ path: 'a.cast', length: 2 ** 40, sha256: '2'.repeat(64) }]; }, message: null },
  ];
  for (const c of ranges) {
    it(`${c.message ? 'refuses' : 'accepts'} ${c.name}`, () => {
      const { doc } = goBackup();
      c.edit(doc);
      if (c.message) expect(() => parseBackup(doc, now, backupChecks)).to.throw(c.message);
      else expect(() => parseBackup(doc, now, backupChecks)).not.to.throw();
    });
  }

  for (const c of broken) {
    it(`refuses ${c.name}`, () => {
      const { doc } = goBackup();
      c.edit(doc);
      expect(() => parseBackup(doc, now, backupChecks)).to.throw(c.message);
    });
  }

  // The shell's rule for chosen tokens, and no invite outliving the portal's TTL: `InviteToken: "a"` expiring in 9999 logged in as admin.
  const hour = 3600_000;
  const farFuture = '9999-01-01T00:00:00Z';
  const invites: { name: string; token: string; expires: string | null; ttl?: number; message?: RegExp; expiresAt?: string | null }[] = [
    { name: 'a one-character token', token: 'a', expires: farFuture, message: /^invalid backup: users 'bob': invalid invite token: 10 to 128 letters, digits, - or _$/ },
    { name: 'a nine-character token', token: 'abcdefghi', expires: null, message: /users 'bob': invalid invite token/ },
    { name: 'a token with other characters', token: 'secret token!', expires: null, message: /users 'bob': invalid invite token/ },
    { name: 'a 129-character token', token: 'a'.repeat(129), expires: null, message: /users 'bob': invalid invite token/ },
    { name: 'a ten-character token, no expiry', token: 'abcdefghij', expires: null, expiresAt: '2024-01-01T01:00:00.000Z' },
    { name: 'a clear token expiring in 9999', token: 'integrationtoken42', expires: farFuture, expiresAt: '2024-01-01T01:00:00.000Z' },
    { name: 'a clear token expiring before the TTL', token: 'integrationtoken42', expires: '2024-01-01T00:30:00Z', expiresAt: '2024-01-01T00:30:00.000Z' },
    { name: 'a hashed token expiring in 9999', token: hashToken('x'), expires: farFuture, expiresAt: '2024-01-01T01:00:00.000Z' },
    { name: 'a hashed token without expiry', token: hashToken('x'), expires: null, expiresAt: '2024-01-01T01:00:00.000Z' },
    { name: 'a token expiring in 9999 on a portal whose invites never expire', token: 'integrationtoken42', expires: farFuture, ttl: 0, expiresAt: '9999-01-01T00:00:00.000Z' },
    { name: 'no token', token: '', expires: null, expiresAt: null },
  ];
  for (const c of invites) {
    it(`${c.message ? 'refuses' : 'restores'} an invite: ${c.name}`, () => {
      const { doc } = goBackup();
      (doc.users as Record<string, unknown>[])[1] = { ...(doc.users as Record<string, unknown>[])[1], InviteToken: c.token, InviteExpiresAt: c.expires };
      const run = (): ReturnType<typeof prepareBackup> => prepareBackup(parseBackup(doc, now, backupChecks), { ...prep, inviteTtlMs: c.ttl ?? hour });
      if (c.message) {
        expect(run).to.throw(c.message);
        return;
      }
      expect(run().users[1]?.inviteExpiresAt?.toISOString() ?? null).to.equal(c.expiresAt);
    });
  }

  // The URL is parsed even when Addr is set: `Addr: "h:22"` with `URL: "ssh://root:hunter2@h:22"` kept the password in clear in the URL.
  const urls: { name: string; host: Record<string, unknown>; addr?: string; url?: string; password?: string | null; message?: RegExp; warning?: string }[] = [
    { name: 'a password in the URL of a host with Addr', host: { Addr: 'h:22', URL: 'ssh://root:hunter2@h:22' }, addr: 'h:22', url: 'ssh://root@h:22', password: 'hunter2' },
    { name: 'the same with User set', host: { Addr: 'h:2222', User: 'bob', URL: 'ssh://bob:hunter2@h:2222' }, addr: 'h:2222', url: 'ssh://bob@h:2222', password: 'hunter2' },
    { name: 'a Password and a URL password (Password wins)', host: { Addr: 'h:22', Password: 'pw', URL: 'ssh://root:hunter2@h:22' }, url: 'ssh://root@h:22', password: 'pw' },
    { name: 'Addr alone', host: { Addr: 'h:22', URL: '' }, addr: 'h:22', url: 'ssh://root@h:22', password: null },
    { name: 'a URL without port, Addr with 22', host: { Addr: 'h:22', URL: 'ssh://root@h' }, addr: 'h:22', url: 'ssh://root@h:22' },
    { name: 'a tunnel host', host: { Addr: 'pi42:22', User: 'pi', URL: 'tunnel://pi@pi42' }, addr: 'pi42:22', url: 'tunnel://pi@pi42', password: null },
    // The Go sshportal dialed the URL whenever it had one: its Addr and User were left over from before `host update --url`.
    { name: 'a URL whose address is not Addr (the URL wins)', host: { Addr: 'h:22', URL: 'ssh://root:hunter2@other:22' }, addr: 'other:22', url: 'ssh://root@other:22', password: 'hunter2',
      warning: "hosts 'x': its Addr 'h:22' is not its URL's address 'other:22': the URL's is kept (the one the Go sshportal dialed)" },
    { name: 'a URL whose port is not Addr\'s (the URL wins)', host: { Addr: 'h:22', URL: 'ssh://root@h:2222' }, addr: 'h:2222', url: 'ssh://root@h:2222',
      warning: "hosts 'x': its Addr 'h:22' is not its URL's address 'h:2222': the URL's is kept (the one the Go sshportal dialed)" },
    { name: 'a URL whose user is not User (the URL wins)', host: { Addr: 'h:22', User: 'alice', URL: 'ssh://bob:hunter2@h:22' }, url: 'ssh://bob@h:22', password: 'hunter2',
      warning: "hosts 'x': its User 'alice' is not its URL's user 'bob': the URL's is kept (the one the Go sshportal dialed)" },
    { name: 'a malformed URL with a password', host: { Addr: 'h:22', URL: 'ssh://root:hunter2@h 22' }, message: /^invalid backup: hosts 'x': invalid URL 'ssh:\/\/root:\*\*\*@h 22'/ },
    { name: 'a tunnel URL with a password', host: { Addr: 'pi42:22', URL: 'tunnel://pi:hunter2@pi42' }, message: /hosts 'x': invalid tunnel URL/ },
  ];
  for (const c of urls) {
    it(`${c.message ? 'refuses' : 'prepares'} ${c.name}`, () => {
      const { doc } = goBackup();
      (doc.hosts as Record<string, unknown>[]).splice(0, 5, { ID: 1, Name: 'x', ...c.host });
      const plan = (): ReturnType<typeof prepareBackup> => prepareBackup(parseBackup(doc, now, backupChecks), prep);
      const run = (): HostRow | undefined => plan().hosts[0];
      if (c.message) {
        expect(run).to.throw(c.message);
        expect(run).not.to.throw(/hunter2/);
        return;
      }
      const p = plan();
      const h = p.hosts[0];
      expect(p.warnings.filter((w) => w.startsWith("hosts 'x'"))).to.deep.equal(c.warning ? [c.warning] : []);
      expect(p.warnings.join('\n')).not.to.match(/hunter2/);
      if (c.addr) expect(h.addr).to.equal(c.addr);
      if (c.url) expect(h.url).to.equal(c.url);
      if (c.password !== undefined) expect(h.password === null ? null : cipher.decrypt(h.password)).to.equal(c.password);
      expect(JSON.stringify({ ...h, password: null })).not.to.match(/hunter2/);
    });
  }

  // Values a refusal echoes are cut (a name of a megabyte was echoed whole) and cannot drive the terminal.
  const echoes: { name: string; edit: (d: Record<string, unknown>) => void; message: RegExp }[] = [
    { name: 'a long invalid name', edit: (d) => { (d.users as Record<string, unknown>[])[0].Name = 'n'.repeat(100_000); }, message: new RegExp(`invalid user name '${'n'.repeat(64)}…'$`) },
    { name: 'a name with an escape sequence', edit: (d) => { (d.users as Record<string, unknown>[])[0].Name = '\u001b[2Jx'; }, message: /invalid user name '\\u001b\[2Jx'$/ },
    { name: 'a long logging mode', edit: (d) => { (d.hosts as Record<string, unknown>[])[0].Logging = 'l'.repeat(1000); }, message: new RegExp(`invalid logging mode '${'l'.repeat(64)}…'$`) },
    { name: 'a long ACL policy value', edit: (d) => { (d.acls as Record<string, unknown>[])[0].Shell = 'y'.repeat(1000); }, message: new RegExp(`backup\\.acls\\[0\\]\\.Shell: invalid --shell '${'y'.repeat(64)}…': yes or no$`) },
    { name: 'a long date', edit: (d) => { (d.keys as Record<string, unknown>[])[0].CreatedAt = `2024-${'9'.repeat(1000)}`; }, message: /invalid date '2024-9{59}…'$/ },
  ];
  for (const c of echoes) {
    it(`cuts what it echoes: ${c.name}`, () => {
      const { doc } = goBackup();
      c.edit(doc);
      expect(() => parseBackup(doc, now, backupChecks)).to.throw(c.message);
    });
  }

  it('refuses a private key it cannot read, and secrets encrypted with another key', () => {
    const { doc } = goBackup();
    (doc.keys as Record<string, unknown>[])[0].PrivKey = 'AAAA-go-encrypted';
    expect(() => prepareBackup(parseBackup(doc, now, backupChecks), prep)).to.throw(/keys 'default': invalid private key/);
    const other = goBackup().doc;
    (other.hosts as Record<string, unknown>[])[2].Password = createFieldCipher('fedcba9876543210').encrypt('x');
    expect(() => prepareBackup(parseBackup(other, now, backupChecks), prep)).to.throw(/hosts 'testtest': cannot decrypt/);
  });

  it('reads event arguments as an object, as base64 of JSON, or as text', () => {
    const { doc } = goBackup();
    const event = (id: number, Args: unknown): Record<string, unknown> => ({ ID: id, Domain: 'host', Action: 'create', Entity: 'x', Args });
    doc.events = [event(1, { a: 1 }), event(2, Buffer.from('{"b":2}').toString('base64')), event(3, 'plain words'), event(4, null)];
    expect(parseBackup(doc, now, backupChecks).events?.map((e) => e.args)).to.deep.equal(['{"a":1}', '{"b":2}', 'plain words', null]);
  });

  const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const base64 = (text: string): string => Buffer.from(text).toString('base64');
  const argsCases: { name: string; args: () => unknown; message: RegExp | null }[] = [
    { name: 'arrays 64 deep', args: (): unknown => JSON.parse(nested(64)), message: null },
    { name: 'arrays 65 deep', args: (): unknown => JSON.parse(nested(65)), message: /backup\.events\[0\]\.Args: nested deeper than 64 levels/ },
    { name: 'base64 of JSON 64 deep', args: () => base64(nested(64)), message: null },
    { name: 'base64 of JSON 65 deep', args: () => base64(nested(65)), message: /backup\.events\[0\]\.Args: nested deeper than 64 levels/ },
    { name: 'base64 of JSON 20,000 deep', args: () => base64(nested(20_000)), message: /nested deeper than 64 levels/ },
    { name: 'an object 5,000 deep', args: (): unknown => JSON.parse(`${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`), message: /nested deeper than 64 levels/ },
    { name: 'a wide flat object', args: () => Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i])), message: null },
    { name: 'exactly 60,000 bytes of JSON', args: () => ({ a: 'x'.repeat(60_000 - 8) }), message: null },
    { name: 'one byte more', args: () => ({ a: 'x'.repeat(60_000 - 7) }), message: /backup\.events\[0\]\.Args: longer than 60000 bytes of JSON/ },
    { name: 'plain text over the bound', args: () => 'é'.repeat(30_001), message: /longer than 60000 bytes of JSON/ },
    { name: 'base64 of JSON over the bound', args: () => base64(JSON.stringify({ a: 'x'.repeat(60_000) })), message: /longer than 60000 bytes of JSON/ },
  ];
  for (const c of argsCases) {
    it(`${c.message ? 'refuses' : 'accepts'} event Args: ${c.name}`, () => {
      const { doc } = goBackup();
      doc.events = [{ ID: 1, Domain: 'host', Action: 'create', Entity: 'x', Args: c.args() }];
      if (c.message) expect(() => parseBackup(doc, now, backupChecks)).to.throw(c.message);
      else expect(parseBackup(doc, now, backupChecks).events?.[0]?.args).to.be.a('string');
    });
  }

  // The Go sshportal's access check ignored HostPattern; this portal's grants with it.
  const patterns: { name: string; acl: Record<string, unknown>; warned: boolean }[] = [
    { name: 'a Go ACL with a pattern (no policy columns)', acl: { HostPattern: 'web-*' }, warned: true },
    { name: 'a Go deny ACL with a pattern', acl: { HostPattern: '*', Action: 'deny' }, warned: true },
    { name: 'a Go ACL without a pattern', acl: { HostPattern: '' }, warned: false },
    { name: "this portal's ACL with a pattern (policy columns present)", acl: { HostPattern: 'web-*', Shell: 'yes' }, warned: false },
  ];
  it('drops, with a warning, a Go ACL pattern this portal cannot read (the Go sshportal never used it), instead of refusing the backup', () => {
    const { doc } = goBackup();
    Object.assign((doc.acls as Record<string, unknown>[])[0], { HostPattern: 'web-* db-*' });
    const plan = parseBackup(doc, now, backupChecks);
    expect(plan.acls[0]?.hostPattern).to.equal('');
    expect(plan.warnings.filter((w) => w.startsWith('acl 1:'))).to.deep.equal([
      "acl 1: its HostPattern is dropped: invalid pattern 'web-* db-*': comma-separated globs on host names, without blanks, at most 255 characters, not only negations",
    ]);
  });
  for (const c of patterns) {
    it(`${c.warned ? 'warns of' : 'says nothing of'} ${c.name}`, () => {
      const { doc } = goBackup();
      Object.assign((doc.acls as Record<string, unknown>[])[0], c.acl);
      const warnings = parseBackup(doc, now, backupChecks).warnings.filter((w) => w.startsWith('acl 1:'));
      const verb = c.acl.Action === 'deny' ? 'denies' : 'grants';
      expect(warnings).to.deep.equal(c.warned ? [`acl 1: its HostPattern '${String(c.acl.HostPattern)}' now ${verb} its user groups every host it matches; ` +
        'where this backup was written, patterns were ignored or only narrowed the host groups (check it with `acl ls`; see "Upgrade notes" in the README)'] : []);
    });
  }

  it('prepares a large plan a few hundred rows at a time, letting the event loop turn, to the same result', async () => {
    const big = (): BackupPlan => {
      const { doc } = goBackup();
      const [key] = doc.user_keys as Record<string, unknown>[];
      doc.user_keys = Array.from({ length: 3_000 }, (_, i) => ({ ...key, ID: i + 1 }));
      return parseBackup(doc, now, backupChecks);
    };
    let turns = 0;
    let ticking = true;
    const tick = (): void => { turns++; if (ticking) setImmediate(tick); };
    setImmediate(tick);
    const yielded = await prepareBackupYielding(big(), prep);
    ticking = false;
    // 3,000 user keys and the fixture's other rows: at least one turn per 256 rows.
    expect(turns).to.be.at.least(11);
    const once = prepareBackup(big(), prep);
    // Secrets are encrypted with a fresh IV each time: the rest must be the same.
    expect([yielded.userKeys, yielded.warnings, yielded.keys.map((k) => k.fingerprint)]).to.deep.equal([once.userKeys, once.warnings, once.keys.map((k) => k.fingerprint)]);
  });

  it("takes a key's public half and fingerprint from its private key: another key's are replaced, with a warning", () => {
    const { doc } = goBackup();
    const [own, other] = doc.keys as Record<string, unknown>[];
    const truth = prepareBackup(parseBackup(goBackup().doc, now, backupChecks), prep).keys[0];
    Object.assign(own, { PubKey: `ssh-ed25519 ${'A'.repeat(68)} someone-else`, Fingerprint: 'SHA256:forged' });
    expect(other).to.not.equal(undefined);
    const p = prepareBackup(parseBackup(doc, now, backupChecks), prep);
    expect([p.keys[0]?.pubKey, p.keys[0]?.fingerprint]).to.deep.equal([truth?.pubKey, truth?.fingerprint]);
    expect(p.warnings).to.include("keys 'default': its PubKey is not its private key's: replaced with the private key's");
  });

  describe('tunnel connector keys', () => {
    const host = (d: Record<string, unknown>): number => Number(rows(d, 'hosts')[0].ID);
    const withKeys = (keys: (d: Record<string, unknown>) => Record<string, unknown>[]): Record<string, unknown> => {
      const { doc } = goBackup();
      doc.tunnel_keys = keys(doc);
      return doc;
    };
    it('keeps a key whose fingerprint is its own', () => {
      const p = parseBackup(withKeys((d) => [{ ID: 1, HostID: host(d), ...connector }]), now, backupChecks);
      expect(p.tunnelKeys.map((k) => [k.fingerprint, k.authorizedKey])).to.deep.equal([[connector.Fingerprint, connector.AuthorizedKey]]);
    });
    const refused: { name: string; key: Record<string, unknown>; message: RegExp }[] = [
      { name: "another key's fingerprint (shown as one key, another would connect)", key: { ...connector, Fingerprint: `SHA256:${'A'.repeat(43)}` }, message: /^invalid backup: backup\.tunnel_keys\[0\]\.Fingerprint: not the fingerprint of AuthorizedKey$/ },
      { name: 'a key that does not parse', key: { ...connector, AuthorizedKey: 'ssh-ed25519 AAAA' }, message: /^invalid backup: backup\.tunnel_keys\[0\]\.AuthorizedKey: expected "algo base64"$/ },
    ];
    for (const c of refused) {
      it(`refuses ${c.name}`, () => {
        expect(() => parseBackup(withKeys((d) => [{ ID: 1, HostID: host(d), ...c.key }]), now, backupChecks)).to.throw(c.message);
      });
    }
    it("drops a host's key given twice, with a warning (the database holds it once per host)", () => {
      const p = parseBackup(withKeys((d) => [{ ID: 1, HostID: host(d), ...connector }, { ID: 2, HostID: host(d), ...connector }]), now, backupChecks);
      expect(p.tunnelKeys.map((k) => k.id)).to.deep.equal([1]);
      expect(p.warnings).to.include(`skipped tunnel connector key 2: host ${p.hosts[0]?.id ?? 0} already has this key`);
    });
    it('refuses two keys with one ID', () => {
      const { doc } = goBackup();
      const other = rows(doc, 'hosts')[1].ID;
      doc.tunnel_keys = [{ ID: 1, HostID: host(doc), ...connector }, { ID: 1, HostID: other, ...connector }];
      expect(() => parseBackup(doc, now, backupChecks)).to.throw(/tunnel_keys: duplicate ID 1/);
    });
  });

  it('repairs dangling references with warnings instead of failing', () => {
    const { doc } = goBackup();
    (doc.hosts as Record<string, unknown>[])[0].SSHKeyID = 99;
    (doc.user_keys as Record<string, unknown>[])[0].UserID = 99;
    ((doc.hosts as Record<string, unknown>[])[1].Groups as unknown[]).push({ ID: 77, Name: 'gone' });
    (doc.hosts as Record<string, unknown>[]).push({ ID: 9, Name: 'old', URL: 'ssh://x@y', DeletedAt: '2018-01-01T00:00:00Z' });
    const p = parseBackup(doc, now, backupChecks);
    expect(p.hosts[0]?.sshKeyId).to.equal(null);
    expect(p.userKeys).to.have.length(0);
    expect(p.hosts.map((h) => h.name)).not.to.include('old');
    expect(p.warnings.join('\n')).to.match(/key 99 is not in the backup/).and.match(/user key\(s\) of users not in the backup/)
      .and.match(/1 host-group link/).and.match(/skipped deleted entry/);
  });
});
