import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { runVerify } from '../../../cmd/verify.js';
import { setChainSigner } from '../../../lib/db/chain/append.js';
import { loadSigner } from '../../../lib/db/chain/signer.js';
import { drivers } from '../../support/databases.js';
import { tempDir } from '../../support/tmp.js';
import { goBackup } from '../../unit/db/backup/go-backup.fixture.js';
import { openShell, type ShellFixture } from '../shell/harness.js';

for (const driver of drivers) {
  describe(`shell config audit-key, config verify and backups of the chain on ${driver}`, function () {
    this.timeout(60_000);
    let f: ShellFixture;
    before(async function () {
      f = await openShell(this, driver);
      setChainSigner(f.db.ds, await loadSigner(f.db, 'node-a', 3));
      for (const name of ['web1', 'web2', 'web3']) expect((await f.run(`host create --name=${name} u@${name}.example.org`)).code).to.equal(0);
    });
    after(async () => { await f?.close(); });

    async function offline(publicKey?: string): Promise<{ code: number; text: string }> {
      let text = '';
      const code = await runVerify({ dbDriver: f.testDb.flags.driver, dbConn: f.testDb.flags.conn, publicKey }, {}, (s) => { text += s; });
      return { code, text };
    }

    it('config audit-key prints the ed25519 public key, which the offline verifier accepts', async () => {
      const r = await f.run('config audit-key');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
      expect(createPublicKey(r.stdout).asymmetricKeyType).to.equal('ed25519');
      const dir = tempDir();
      try {
        writeFileSync(join(dir.path, 'audit.pub'), r.stdout);
        const v = await offline(join(dir.path, 'audit.pub'));
        expect(v.text).to.match(/^OK: 3 events, 0 recordings verified$/m);
        expect(v.code).to.equal(0);
      } finally {
        dir.remove();
      }
    });

    it('config verify runs the same check online, and is for admins only', async () => {
      const r = await f.run('config verify');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^OK: 3 events, 0 recordings verified$/m);
      expect((await f.run('user invite --name=lister lister@example.com')).code).to.equal(0);
      const denied = await f.run('config verify', { user: 'lister' });
      expect(denied.code).to.equal(1);
      expect(denied.stderr).to.match(/^error: /);
    });

    it('config verify prints the head it verified; --head checks a kept one, and refuses a malformed one', async () => {
      const r = await f.run('config verify');
      const kept = /^head: (\S+)$/m.exec(r.stdout)?.[1] ?? '';
      expect(kept, r.stdout).to.match(/^\d+:[0-9a-f]{64}$/);
      const again = await f.run(`config verify --head ${kept}`);
      expect([again.code, again.stderr]).to.deep.equal([0, '']);
      const [seq] = kept.split(':');
      const lost = await f.run(`config verify --head ${Number(seq) + 1000}:${'0'.repeat(64)}`);
      expect(lost.code).to.equal(1);
      expect(lost.stdout).to.match(new RegExp(`^FAILED: head ${Number(seq) + 1000} deleted: the chain ends at #\\d+`, 'm'));
      const bad = await f.run('config verify --head yesterday');
      expect([bad.code, bad.stdout, bad.stderr]).to.deep.equal([1, '', "error: --head expects SEQ:HASH, as printed after 'head:' by an earlier verify\n"]);
    });

    it('config verify names an edited event and exits 1', async () => {
      const [row] = await f.db.ds.query<{ id: number }[]>("SELECT id FROM events WHERE entity = 'web2'");
      await f.db.ds.query(`UPDATE events SET entity = 'web9' WHERE id = ${row?.id}`);
      const r = await f.run('config verify');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(new RegExp(`^FAILED: event ${row?.id} edited: its content does not match its hash$`, 'm'));
      expect(r.stderr).to.equal('error: the audit trail does not verify (see FAILED above)\n');
      await f.db.ds.query(`UPDATE events SET entity = 'web2' WHERE id = ${row?.id}`);
    });

    it('a backup carries the chain: restored, it still verifies with the same key', async () => {
      const backup = await f.run('config backup');
      const doc = JSON.parse(backup.stdout) as { events: Record<string, unknown>[]; audit_checkpoints: unknown[]; audit_keys: unknown[] };
      expect(doc.events[0]).to.include.keys('Seq', 'PrevHash', 'Hash', 'ChainAuthorID');
      expect(doc.audit_checkpoints).to.have.length.greaterThan(0);
      expect(doc.audit_keys).to.have.length(1);
      const r = await f.run('config restore --confirm', { input: backup.stdout });
      expect(r.code, r.stderr).to.equal(0);
      const v = await f.run('config verify');
      expect(v.stdout, v.stdout).to.match(/^OK: \d+ events, 0 recordings verified$/m);
    });

    it('a Go sshportal backup restores: its events stay outside the chain, which restarts after an imported marker', async () => {
      const { doc } = goBackup();
      doc.events = [1, 2].map((id) => ({ ID: id, CreatedAt: '2018-03-01T10:00:00+01:00', UpdatedAt: '2018-03-01T10:00:00+01:00', DeletedAt: null,
        Author: null, AuthorID: 0, Domain: 'host', Action: 'create', Entity: `legacy${id}`, Args: { name: `legacy${id}` } }));
      const r = await f.run('config restore --confirm', { input: JSON.stringify(doc) });
      expect(r.code, r.stderr).to.equal(0);
      const marker = await f.db.ds.query<{ seq: unknown; args: string }[]>("SELECT seq, args FROM events WHERE domain = 'audit' AND action = 'imported'");
      expect(marker).to.have.length(1);
      expect(Number(marker[0]?.seq)).to.equal(1);
      const v = await offline();
      expect(v.text).to.match(/^note: 2 events older than the hash chain/m);
      expect(v.text).to.match(/^OK: 2 events, 0 recordings verified$/m);
      expect(v.code).to.equal(0);
    });
  });
}
