import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { Host, SshKey } from '../../../lib/db/entities/index.js';
import { renderJson } from '../../../lib/shell/render/json.js';
import { drivers } from '../../support/databases.js';
import { runCases, type ShellCase } from './cases.js';
import { openShell, type ShellFixture } from './harness.js';

const pemRsa = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'pkcs1', format: 'pem' } }).privateKey;
const keyByName = (f: ShellFixture, name: string): Promise<SshKey> => f.db.manager.findOneByOrFail(SshKey, { name });

const cases: ShellCase[] = [
  { cmd: 'key create', out: /^\d+\n$/ },
  { cmd: 'key create --name=ed', check: async (_r, f) => expect(await keyByName(f, 'ed')).to.include({ type: 'ed25519', length: 256 }) },
  { cmd: 'key create --name=rsa1 --type=rsa', check: async (_r, f) => expect(await keyByName(f, 'rsa1')).to.include({ type: 'rsa', length: 2048 }) },
  { cmd: 'key create --name=rsa3 --type=rsa --length=3072', check: async (_r, f) => expect(await keyByName(f, 'rsa3')).to.include({ type: 'rsa', length: 3072 }) },
  { cmd: 'key create --name=ec --type=ecdsa --length=384 --comment="my ec"', check: async (_r, f) => {
    const k = await keyByName(f, 'ec');
    expect(k).to.include({ type: 'ecdsa', length: 384, comment: 'my ec' });
    expect(k.pubKey).to.match(/^ecdsa-sha2-nistp384 /);
    expect(k.privKey).to.match(/^enc:v1:/);
  } },
  { cmd: 'key import --name=imported', input: pemRsa, out: /^\d+\n$/, check: async (_r, f) => {
    const k = await keyByName(f, 'imported');
    expect(k).to.include({ type: 'rsa', length: 2048 });
    expect(f.db.cipher.decrypt(k.privKey)).to.match(/BEGIN RSA PRIVATE KEY/);
  } },
  { cmd: 'key inspect ed rsa1', out: [/"Name": "ed"/, /"Name": "rsa1"/, /"PrivKey": "\[redacted\]"/, /"Fingerprint": "SHA256:/] },
  { cmd: 'key inspect host', check: (r) => {
    expect(r.stdout).not.to.match(/PRIVATE KEY|enc:v1/);
    expect((JSON.parse(r.stdout) as Record<string, unknown>[])[0].PrivKey).to.equal('[redacted]');
  } },
  { cmd: 'key inspect --decrypt ed', out: /"PrivKey": "-----BEGIN OPENSSH PRIVATE KEY-----/ },
  { cmd: 'key inspect default', out: /"Hosts": \[\]/ },
  { cmd: 'key ls', out: [/^ID +NAME +TYPE +LENGTH +HOSTS +UPDATED +CREATED +COMMENT\n/, /ec +ecdsa +384 +0 +(?:now|\d+ seconds? ago) +(?:now|\d+ seconds? ago) +my ec/, /Total: 8 keys\.\n$/] },
  { cmd: 'key ls -q', out: /^(\d+\n){8}$/ },
  { cmd: 'key show ed', out: /^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ ed\n$/ },
  { cmd: 'key setup ed', out: /^umask 077; mkdir -p \.ssh; echo 'ssh-ed25519 AAAA[A-Za-z0-9+/=]+ sshportal' >> \.ssh\/authorized_keys\n$/ },
  { cmd: 'key create --name=ed', code: 1, err: /key 'ed' already exists/ },
  { cmd: 'key create --name=x --type=dsa', code: 1, err: /invalid key type 'dsa'/ },
  { cmd: 'key create --name=x --type=rsa --length=1024', code: 1, err: /invalid key length 1024 for rsa/ },
  { cmd: 'key create --name=x --type=ecdsa --length=big', code: 1, err: /invalid key length 'big'/ },
  { cmd: 'key import --name=x', input: 'not a key\n', code: 1, err: /invalid private key/ },
  { cmd: 'key import --name=x', input: '', code: 1, err: /no private key given/ },
  { cmd: 'key import --name=x', input: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKmSXXFa7d0BoV9eeFIt5Y7YAoIhPz/GB6yZMFFbyKI+ x\n', code: 1, err: /invalid private key/ },
  { cmd: 'key show nope', code: 1, err: /unknown key 'nope'/ },
  { cmd: 'key show a b', code: 1, err: /too many arguments/ },
  { cmd: 'key rm host', code: 1, err: /key 'host' is the portal's own host key and cannot be removed/ },
  { cmd: 'key rm ed host', code: 1, err: /own host key/ },
  { cmd: 'key rm ed rsa1' },
  { cmd: 'key ls -q', out: /^(\d+\n){6}$/ },
  { cmd: 'event ls', out: [/key +rm +ed, rsa1/, /key +import +imported/, /key +create +ec/] },
];

for (const driver of drivers) {
  describe(`shell key on ${driver}`, function () {
    let f: ShellFixture;
    before(async function () { f = await openShell(this, driver); });
    after(async () => { await f?.close(); });
    runCases(() => f, cases);
    it('imports an OpenSSH private key (from key inspect --decrypt) under another name', async () => {
      const pk = (JSON.parse((await f.run('key inspect --decrypt imported')).stdout) as Record<string, unknown>[])[0].PrivKey as string;
      const r = await f.run('key import -n again', { input: pk });
      expect(r.code, r.stderr).to.equal(0);
      expect((await keyByName(f, 'again')).fingerprint).to.equal((await keyByName(f, 'imported')).fingerprint);
    });
    it('inspects a key with the hosts using it, in id order, each as a nested host (converted as written), in the shell\'s JSON layout', async () => {
      await f.run('key create --name=many');
      for (let i = 0; i < 40; i++) await f.run(`host create --name=m${i} --key=many -p pw${i} root@m${i}.example.org`);
      await f.run('host create --name=other root@other.example.org');
      const r = await f.run('key inspect --decrypt many default');
      expect(r.code, r.stderr).to.equal(0);
      const [many, def] = JSON.parse(r.stdout) as { Name: string; Hosts: { Name: string; Password: string; SSHKey: unknown; Groups: unknown }[] }[];
      expect(r.stdout).to.equal(renderJson(JSON.parse(r.stdout)));
      expect(many?.Hosts.map((h) => h.Name)).to.deep.equal(Array.from({ length: 40 }, (_, i) => `m${i}`));
      expect(many?.Hosts[7]).to.include({ Password: 'pw7', SSHKey: null, Groups: null });
      expect(def?.Hosts.map((h) => h.Name)).to.include('other').and.not.include('m0');
      expect((JSON.parse((await f.run('key inspect many')).stdout) as { Hosts: { Password: string }[] }[])[0]?.Hosts[0]?.Password).to.equal('[redacted]');
    });
    it('prints nothing when a host password of the key cannot be decrypted (key inspect --decrypt), however many hosts come before it', async () => {
      await f.run('key create --name=bad');
      const key = await keyByName(f, 'bad');
      await f.db.manager.createQueryBuilder().insert().into(Host).values(Array.from({ length: 400 }, (_, i) => ({
        name: `b${i}`, addr: `b${i}.example.org:22`, user: 'root', url: '', sshKeyId: key.id, comment: 'c'.repeat(200), logging: 'everything',
        password: i === 350 ? 'enc:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' : null,
      }))).execute();
      const r = await f.run('key inspect --decrypt bad');
      expect([r.code, r.stdout]).to.deep.equal([1, '']);
      expect(r.stderr).to.match(/^error: [^\n]*\n$/);
      expect((await f.run('key inspect bad')).code).to.equal(0);
      await f.db.manager.createQueryBuilder().delete().from(Host).where('ssh_key_id = :id', { id: key.id }).execute();
    });
    it('never writes a private key into the audit trail', async () => {
      const ids = (await f.run('event ls -q')).stdout.trim().split('\n').join(' ');
      expect((await f.run(`event inspect ${ids}`)).stdout).not.to.match(/PRIVATE KEY/);
    });
  });
}
