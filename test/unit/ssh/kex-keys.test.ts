import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { join } from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { rawX25519Imports, rawX25519KeyPairs, verifyingWithKeyObjects, withRawSpkiExport, x25519RawOfSpki, x25519SpkiOfRaw } from '../../../lib/ssh/kex-keys.js';
import { generateKey, tempDir } from '../../support/keys.js';

const spkiOf = (k: crypto.KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });

describe('ssh/kex-keys', () => {
  const x = crypto.generateKeyPairSync('x25519');
  const der = spkiOf(x.publicKey);
  const ed = spkiOf(crypto.generateKeyPairSync('ed25519').publicKey);

  describe('x25519RawOfSpki', () => {
    const cases: Array<[string, Buffer, Buffer | undefined]> = [
      ['an X25519 SPKI gives its last 32 bytes', der, der.subarray(12)],
      ['an Ed25519 SPKI (another OID) is not one', ed, undefined],
      ['one byte short is not one', der.subarray(0, 43), undefined],
      ['one byte more is not one', Buffer.concat([der, Buffer.from([0])]), undefined],
      ['empty is not one', Buffer.alloc(0), undefined],
    ];
    for (const [what, input, expected] of cases) it(what, () => expect(x25519RawOfSpki(input)).to.deep.equal(expected));
  });

  it("x25519SpkiOfRaw gives node:crypto's own DER, and refuses a key of the wrong size", () => {
    expect(x25519SpkiOfRaw(der.subarray(12))).to.deep.equal(der);
    expect(() => x25519SpkiOfRaw(Buffer.alloc(31))).to.throw(RangeError);
  });

  it('a key object exports the same SPKI DER as before, and other formats unchanged', () => {
    const pub = withRawSpkiExport(crypto.createPublicKey({ key: der, type: 'spki', format: 'der' }), der.subarray(12));
    expect(pub.export({ type: 'spki', format: 'der' })).to.deep.equal(der);
    expect(pub.export({ type: 'spki', format: 'pem' })).to.equal(x.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(pub.export({ format: 'jwk' })).to.deep.equal(crypto.createPublicKey(x.privateKey).export({ format: 'jwk' }));
  });

  it('generated X25519 pairs export their SPKI DER from the raw key; other key types are left alone', () => {
    const generate = rawX25519KeyPairs(crypto.generateKeyPairSync);
    const pair = generate('x25519');
    expect(Object.hasOwn(pair.publicKey, 'export')).to.equal(true);
    expect(pair.publicKey.export({ type: 'spki', format: 'der' })).to.deep.equal(spkiOf(crypto.createPublicKey(pair.privateKey)));
    expect(Object.hasOwn(generate('ed25519').publicKey, 'export')).to.equal(false);
  });

  it('generating and exporting 30,000 X25519 pairs as ssh2 does never hangs (Node 20 deadlocked exporting a generated key as JWK)', function () {
    this.timeout(60_000);
    // In a child: a hang there is a failed test here, not a stuck run.
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../support/kex-keys-loop.ts'), '30000'], { encoding: 'utf8', timeout: 45_000 });
    expect(out.trim()).to.equal('30000 pairs');
  });

  it('an imported X25519 SPKI agrees on the same secret as the original import; anything else goes to the original', () => {
    const create = rawX25519Imports(crypto.createPublicKey);
    const peer = crypto.generateKeyPairSync('x25519');
    const input = { key: spkiOf(peer.publicKey), type: 'spki' as const, format: 'der' as const };
    const secret = (publicKey: crypto.KeyObject): Buffer => crypto.diffieHellman({ privateKey: x.privateKey, publicKey });
    expect(secret(create(input))).to.deep.equal(secret(crypto.createPublicKey(input)));
    expect(spkiOf(create({ key: ed, type: 'spki', format: 'der' }))).to.deep.equal(ed);
    expect(() => create({ key: Buffer.from('not a key'), type: 'spki', format: 'der' })).to.throw();
  });

  it('host keys parsed from an exchange verify with a key object (ed25519), and give the same verdicts', () => {
    const tmp = tempDir('kex-keys-');
    try {
      const priv = ssh2.utils.parseKey(generateKey(join(tmp.path, 'host')).privateKey) as ParsedKey;
      const pub = ssh2.utils.parseKey(priv.getPublicSSH()) as ParsedKey;
      const parse = verifyingWithKeyObjects(() => pub);
      const parsed = parse(Buffer.alloc(0), 'ssh-ed25519') as ParsedKey;
      expect(Object.hasOwn(parsed, 'verify')).to.equal(true);
      const data = Buffer.from('exchange hash');
      const sig = priv.sign(data);
      expect(parsed.verify(data, sig)).to.equal(true);
      expect(parsed.verify(Buffer.from('another hash'), sig)).to.equal(false);
      const error = new Error('bad key');
      expect(verifyingWithKeyObjects(() => error)(Buffer.alloc(0), 'ssh-ed25519')).to.equal(error);
    } finally {
      tmp.remove();
    }
  });

  it("installs only for ssh2's key exchange when imported before ssh2: a curve25519 handshake completes, node:crypto untouched", function () {
    this.timeout(20_000);
    // A fresh process: here ssh2 is long loaded by other tests.
    const script = `
      const crypto = (await import('node:crypto')).default;
      const before = [crypto.generateKeyPairSync, crypto.createPublicKey];
      const m = await import('./lib/ssh/kex-keys.ts');
      const same = before[0] === crypto.generateKeyPairSync && before[1] === crypto.createPublicKey;
      const { default: ssh2 } = await import('ssh2');
      const hostKey = (await import('node:fs')).readFileSync(process.env.HOST_KEY, 'utf8');
      const algorithms = { kex: ['curve25519-sha256'] };
      const server = new ssh2.Server({ hostKeys: [hostKey], algorithms }, (c) => { c.on('authentication', (ctx) => ctx.accept()); c.on('ready', () => c.end()); });
      server.listen(0, '127.0.0.1', () => {
        const client = new ssh2.Client();
        client.on('ready', () => { console.log(JSON.stringify({ installed: m.kexKeysInstalled, same, ready: true })); client.end(); server.close(); });
        client.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
        client.connect({ host: '127.0.0.1', port: server.address().port, username: 'u', algorithms });
      });`;
    const tmp = tempDir('kex-keys-');
    try {
      // An ed25519 host key: the client checks its signature with the key object.
      const env = { ...process.env, HOST_KEY: generateKey(join(tmp.path, 'host')).path };
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env });
      expect(JSON.parse(out.trim())).to.deep.equal({ installed: true, same: true, ready: true });
    } finally {
      tmp.remove();
    }
  });
});
