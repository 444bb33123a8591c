/**
 * A signed public-key attempt right after a probe of the same key takes the
 * probe's user lookup (issue 13: the lookup was a quarter of a login's
 * database work); any other attempt looks the key up again. Shown by removing
 * the key between the two attempts: only the reused answer still knows it.
 */
import { expect } from 'chai';
import type { AuthContext } from 'ssh2';
import ssh2 from 'ssh2';
import { generateKeyPair, parsePublicKey, type KeyPair } from '../../lib/crypto/ssh-keys.js';
import { openDatabase, type Database } from '../../lib/db/database.js';
import { User, UserKey } from '../../lib/db/entities/index.js';
import { createLogger } from '../../lib/log.js';
import { authenticate, type AuthDeps, type AuthState } from '../../lib/server/auth.js';
import { drivers, freshDb, type TestDb } from '../support/databases.js';

type Outcome = 'accepted' | 'rejected';

/** One public-key attempt of `kp` as ssh2 hands it over; resolves with what the authenticator answered. */
function attempt(state: AuthState, deps: AuthDeps, kp: KeyPair, signed: boolean): Promise<Outcome> {
  const data = Buffer.from(kp.publicKey.split(' ')[1] ?? '', 'base64');
  const blob = Buffer.from('session id and userauth request');
  const priv = ssh2.utils.parseKey(kp.privateKey);
  if (priv instanceof Error) throw priv;
  const signature = signed ? priv.sign(blob) : undefined;
  return new Promise((resolve) => {
    const ctx = {
      method: 'publickey', username: 'web', service: 'ssh-connection',
      key: { algo: 'ssh-ed25519', data }, signature, blob: signed ? blob : undefined, hashAlgo: undefined,
      accept: () => resolve('accepted'), reject: () => resolve('rejected'),
    };
    void authenticate(ctx as unknown as AuthContext, state, deps);
  });
}

for (const driver of drivers) {
  describe(`db: the signed attempt after a probe reuses its lookup (${driver})`, function () {
    let testDb: TestDb;
    let db: Database;
    let deps: AuthDeps;
    const kp = generateKeyPair('ed25519', 256, 'alice');
    const other = generateKeyPair('ed25519', 256, 'other');
    const fresh = (): AuthState => ({ login: { kind: 'host', target: 'web' }, identity: null, refusals: [] });

    before(async function () {
      testDb = await freshDb(this, driver);
      db = await openDatabase(testDb.config, null);
      deps = { db, log: createLogger({ level: 'error' }), now: () => new Date(), clusterFingerprint: 'none', onFailure: () => undefined, remoteAddr: '127.0.0.1:1' };
    });
    after(async () => {
      await db?.close();
      await testDb?.drop();
    });
    beforeEach(async () => {
      const m = db.manager;
      await m.createQueryBuilder().delete().from(UserKey).execute();
      await m.delete(User, { name: 'alice' });
      const alice = await m.save(m.create(User, { name: 'alice', email: 'alice@x' }));
      const info = parsePublicKey(kp.publicKey);
      await m.save(m.create(UserKey, { key: info.blob, fingerprint: info.fingerprint, authorizedKey: kp.publicKey, userId: alice.id }));
    });
    const removeKey = (): Promise<unknown> => db.manager.createQueryBuilder().delete().from(UserKey).execute();

    it('probe, key removed, signed attempt at once: the probe answered (alice)', async () => {
      const state = fresh();
      expect(await attempt(state, deps, kp, false)).to.equal('accepted');
      await removeKey();
      expect(await attempt(state, deps, kp, true)).to.equal('accepted');
      expect(state.identity?.kind === 'user' ? state.identity.user.name : null).to.equal('alice');
      expect(state.probed).to.equal(undefined);
    });

    it('a probe older than the window is looked up again', async () => {
      const state = fresh();
      expect(await attempt(state, deps, kp, false)).to.equal('accepted');
      if (state.probed) state.probed.atMs -= 10_000;
      await removeKey();
      expect(await attempt(state, deps, kp, true)).to.equal('rejected');
      expect(state.identity).to.equal(null);
    });

    it('a signed attempt of another key than the probe is looked up again', async () => {
      const state = fresh();
      expect(await attempt(state, deps, kp, false)).to.equal('accepted');
      expect(await attempt(state, deps, other, true)).to.equal('rejected');
      await removeKey();
      // The probe's answer was used up by the other key's attempt.
      expect(await attempt(state, deps, kp, true)).to.equal('rejected');
    });

    it('a signed attempt without a probe before it looks the key up', async () => {
      const state = fresh();
      await removeKey();
      expect(await attempt(state, deps, kp, true)).to.equal('rejected');
    });
  });
}
