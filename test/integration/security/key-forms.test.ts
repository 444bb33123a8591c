/**
 * One private key has one identity. ssh2 parses a public-key blob with
 * trailing bytes as the same key, and the fingerprint was taken over the
 * bytes sent: the admin's own key, offered with a byte appended and signed
 * properly, was a different key (an invite could enrol it apart from its real
 * fingerprint; a revocation of that fingerprint missed it). Only the key's
 * exact wire form is accepted now.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import ssh2, { type ParsedKey } from 'ssh2';
import { UserKey } from '../../../lib/db/entities/index.js';
import { startPortal, type Portal } from '../../support/portal.js';

/** The key behind `path`, offering its blob with `extra` appended (the signature is the real key's). */
function variant(path: string, extra: Buffer): ParsedKey {
  const key = ssh2.utils.parseKey(readFileSync(path));
  if (key instanceof Error || Array.isArray(key)) throw new Error('unreadable test key');
  return new Proxy(key, {
    get(target, prop, receiver) {
      if (prop === 'getPublicSSH') return () => Buffer.concat([target.getPublicSSH(), extra]);
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Logs in as `username` with `key` through ssh2; resolves with whether it got in. */
function login(port: number, username: string, key: ParsedKey): Promise<boolean> {
  return new Promise((resolve) => {
    const c = new ssh2.Client();
    c.on('ready', () => { c.end(); resolve(true); });
    c.on('error', () => resolve(false));
    let tried = false;
    const authHandler: ssh2.AuthHandlerMiddleware = (_left, _partial, next) => {
      if (tried) return next(false as unknown as ssh2.AuthenticationType);
      tried = true;
      next({ type: 'publickey', username, key });
    };
    c.connect({ host: '127.0.0.1', port, username, authHandler, hostVerifier: () => true, readyTimeout: 10_000 });
  });
}

describe('security on sqlite3: a key has one form', function () {
  this.timeout(60_000);
  let portal: Portal;
  before(async function () { portal = await startPortal(this, { driver: 'sqlite3' }); });
  after(async () => { await portal?.close(); });

  it('accepts the admin key as it is, and refuses it with bytes appended (it was a second identity)', async () => {
    expect(await login(portal.port, 'admin', variant(portal.adminKey, Buffer.alloc(0))), 'the key itself').to.equal(true);
    expect(await login(portal.port, 'admin', variant(portal.adminKey, Buffer.from([0]))), 'a byte appended').to.equal(false);
    expect(await login(portal.port, 'admin', variant(portal.adminKey, Buffer.from('\0\0\0\x04junk'))), 'a field appended').to.equal(false);
  });

  it('an invite cannot enrol a bound key again under another form (the admin key bound to a second user)', async () => {
    const invite = await portal.ssh(['user', 'invite', '--name=eve', 'eve@example.com']);
    expect(invite.code, invite.stderr).to.equal(0);
    const token = /invite:([A-Za-z0-9]+)/.exec(invite.stdout)?.[1] ?? '';
    const before = await portal.app.db.manager.count(UserKey);
    expect(await login(portal.port, `invite:${token}`, variant(portal.adminKey, Buffer.from([0])))).to.equal(false);
    expect(await portal.app.db.manager.count(UserKey)).to.equal(before);
  });
});
