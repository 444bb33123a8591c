/**
 * `--db-conn …?tls=true` against the real MariaDB: the portal connects with
 * TLS or not at all. Before, the DSN's parameters were dropped and it
 * connected in plaintext without a word. This MariaDB offers no TLS (or a
 * certificate no public CA signed for 127.0.0.1): either way a verified
 * connection is refused, with a reason an operator can act on.
 */
import { expect } from 'chai';
import { openDatabase, tlsFailure } from '../../lib/db/database.js';
import { DatabaseTlsError } from '../../lib/errors.js';
import { requireOrSkip } from '../support/env.js';
import { freshMariaDb, mariadbAvailable } from '../support/mariadb.js';

describe('database: TLS asked for in --db-conn, on mysql', function () {
  let m: Awaited<ReturnType<typeof freshMariaDb>> | undefined;
  before(async function () {
    requireOrSkip(this, await mariadbAvailable(), 'MariaDB on 127.0.0.1:3306');
    m = await freshMariaDb();
  });
  after(async () => { await m?.drop(); });

  it('refuses to start rather than connect without TLS (tls=true)', async () => {
    if (!m || m.config.driver !== 'mysql') throw new Error('no MariaDB');
    const err: unknown = await openDatabase({ driver: 'mysql', conn: { ...m.config.conn, tls: 'verify' } }, null, { timeoutMs: 5000 }).then(
      async (db) => { await db.close(); return null; },
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(DatabaseTlsError);
    expect((err as Error).message).to.match(/does not offer TLS|certificate was refused/);
  });

  it('connects as before without it (tls=false, the default)', async () => {
    if (!m || m.config.driver !== 'mysql') throw new Error('no MariaDB');
    const db = await openDatabase({ driver: 'mysql', conn: { ...m.config.conn, tls: 'off' } }, null, { timeoutMs: 5000 });
    await db.close();
  });
});

describe('database: what a TLS failure tells the operator', () => {
  const cases: [string, unknown, RegExp | null][] = [
    ['a server without TLS', { code: 'HANDSHAKE_NO_SSL_SUPPORT' }, /does not offer TLS/],
    ['a self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, /certificate was refused \(DEPTH_ZERO_SELF_SIGNED_CERT\)/],
    ['a certificate for another name', { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, /certificate was refused/],
    ['an unknown issuer', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, /certificate was refused/],
    ['a refused connection', { code: 'ECONNREFUSED' }, null],
    ['no code', new Error('x'), null],
    ['not an error', null, null],
  ];
  for (const [name, err, want] of cases) {
    it(`${name}: ${want === null ? 'not a TLS failure' : 'says so'}`, () => {
      const got = tlsFailure(err);
      if (want === null) expect(got).to.equal(null);
      else expect(got).to.match(want);
    });
  }
});
