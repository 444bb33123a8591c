import { expect } from 'chai';
import { resolveServerConfig, type ServerFlags, type Env } from '../../../lib/config/server-config.js';
import { parseMysqlDsn, redactDsn } from '../../../lib/config/mysql-dsn.js';
import { parseDuration } from '../../../lib/config/duration.js';
import { parseListenAddress } from '../../../lib/config/bind-address.js';

describe('config: resolveServerConfig', () => {
  it('uses sshportal defaults', () => {
    const c = resolveServerConfig({}, {}, 'node1');
    expect(c.listen).to.deep.equal({ host: undefined, port: 2222 });
    expect(c.db).to.deep.equal({ driver: 'sqlite3', path: './sshportal.db' });
    expect(c).to.include({ debug: false, logsLocation: './log', idleTimeoutMs: 0, aclCheckCmd: null, configUser: 'admin',
      healthcheckUser: 'healthcheck', logFormat: 'text', nodeName: 'node1', inviteTtlMs: 7 * 24 * 3600 * 1000 });
    expect(c.aesKey).to.equal(null);
    expect(Object.isFrozen(c)).to.equal(true);
  });

  const ok: { name: string; flags: ServerFlags; env: Env; check: (c: ReturnType<typeof resolveServerConfig>) => void }[] = [
    { name: 'env vars', flags: {}, env: { SSHPORTAL_BIND: '127.0.0.1:2022', SSHPORTAL_DEBUG: '1', SSHPORTAL_LOGS_LOCATION: '/var/log/x' },
      check: (c) => { expect(c.listen).to.deep.equal({ host: '127.0.0.1', port: 2022 }); expect(c.debug).to.equal(true); expect(c.logsLocation).to.equal('/var/log/x'); } },
    { name: 'flags win over env', flags: { bindAddress: ':2000' }, env: { SSHPORTAL_BIND: ':3000' },
      check: (c) => expect(c.listen.port).to.equal(2000) },
    { name: 'mysql Go DSN from env', flags: { dbDriver: 'mysql' }, env: { SSHPORTAL_DATABASE_URL: 'root@tcp(127.0.0.1:3306)/sshportal?parseTime=true' },
      check: (c) => expect(c.db).to.deep.equal({ driver: 'mysql', conn: { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'sshportal' } }) },
    { name: 'aes key of 32 chars', flags: { aesKey: 'x'.repeat(32) }, env: {},
      check: (c) => { expect(c.aesKey?.reveal()).to.equal('x'.repeat(32)); expect(String(c.aesKey)).to.equal('[redacted]'); } },
    { name: 'idle timeout', flags: { idleTimeout: '1h30m' }, env: {}, check: (c) => expect(c.idleTimeoutMs).to.equal(5_400_000) },
    { name: 'admin invite token', flags: {}, env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: 'abc' },
      check: (c) => expect(c.defaultAdminInviteToken?.reveal()).to.equal('abc') },
    { name: 'ciphers', flags: { ciphers: 'chacha20-poly1305@openssh.com, aes256-gcm@openssh.com' }, env: {},
      check: (c) => expect(c.ciphers).to.deep.equal(['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com']) },
    { name: 'default ciphers: AES-GCM first, no chacha20', flags: {}, env: {},
      check: (c) => { expect(c.ciphers[0]).to.equal('aes128-gcm@openssh.com'); expect(c.ciphers).to.not.include('chacha20-poly1305@openssh.com'); } },
    { name: 'connection limits', flags: { maxChannels: '300' }, env: { SSHPORTAL_MAX_SESSIONS: '4' },
      check: (c) => expect([c.maxChannels, c.maxSessions]).to.deep.equal([300, 4]) },
    { name: 'default connection limits', flags: {}, env: {},
      check: (c) => expect([c.maxChannels, c.maxSessions]).to.deep.equal([128, 10]) },
    { name: 'custom users', flags: { configUser: 'root', healthcheckUser: 'hc' }, env: {},
      check: (c) => expect([c.configUser, c.healthcheckUser]).to.deep.equal(['root', 'hc']) },
  ];
  for (const t of ok) it(`accepts ${t.name}`, () => t.check(resolveServerConfig(t.flags, t.env)));

  const bad: { flags: ServerFlags; env?: Env; message: RegExp }[] = [
    { flags: { dbDriver: 'postgres' }, message: /invalid --db-driver 'postgres'/ },
    { flags: { dbDriver: 'mysql' }, message: /--db-conn is required/ },
    { flags: { dbDriver: 'mysql', dbConn: 'nonsense' }, message: /invalid --db-conn/ },
    { flags: { aesKey: 'short' }, message: /16, 24 or 32/ },
    { flags: { bindAddress: 'localhost' }, message: /invalid --bind-address/ },
    { flags: { bindAddress: ':99999' }, message: /port must be/ },
    { flags: { idleTimeout: '5 minutes' }, message: /invalid --idle-timeout/ },
    { flags: { configUser: 'a b' }, message: /invalid --config-user/ },
    { flags: { configUser: 'x', healthcheckUser: 'x' }, message: /must differ/ },
    { flags: { logFormat: 'xml' }, message: /invalid --log-format/ },
    { flags: { ciphers: 'aes128-cbc' }, message: /invalid --ciphers 'aes128-cbc'/ },
    { flags: { ciphers: ',' }, message: /invalid --ciphers/ },
    { flags: { maxChannels: '0' }, message: /invalid --max-channels '0'/ },
    { flags: { maxSessions: 'ten' }, message: /invalid --max-sessions 'ten'/ },
  ];
  for (const t of bad) {
    it(`rejects ${JSON.stringify(t.flags)}`, () => {
      expect(() => resolveServerConfig(t.flags, t.env ?? {})).to.throw(t.message);
    });
  }
});

describe('config: parseMysqlDsn', () => {
  const cases: [string, ReturnType<typeof parseMysqlDsn>][] = [
    ['root@tcp(127.0.0.1:3306)/db?parseTime=true', { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'db' }],
    ['u:p@ss@tcp(db.local:3307)/portal', { host: 'db.local', port: 3307, user: 'u', password: 'p@ss', database: 'portal' }],
    ['u:pw@tcp(db.local)/portal', { host: 'db.local', port: 3306, user: 'u', password: 'pw', database: 'portal' }],
    ['u:pw@/portal', { host: '127.0.0.1', port: 3306, user: 'u', password: 'pw', database: 'portal' }],
    ['mysql://u:p%40w@h:3308/portal', { host: 'h', port: 3308, user: 'u', password: 'p@w', database: 'portal' }],
    ['mysql://h/portal', { host: 'h', port: 3306, user: 'root', password: '', database: 'portal' }],
  ];
  for (const [dsn, want] of cases) it(`parses ${dsn}`, () => expect(parseMysqlDsn(dsn)).to.deep.equal(want));
  for (const dsn of ['', 'tcp(x)', 'mysql://h', 'u@tcp(h:0)/db', 'mysql://h:99999/db']) {
    it(`rejects '${dsn}'`, () => expect(() => parseMysqlDsn(dsn)).to.throw(/invalid --db-conn/));
  }
  it('never shows the password in errors', () => {
    expect(redactDsn('u:secret@tcp(h:x)/db')).to.equal('u:***@tcp(h:x)/db');
    expect(redactDsn('mysql://u:secret@h/db')).to.equal('mysql://u:***@h/db');
    expect(() => parseMysqlDsn('u:secret@tcp(h:x)/db')).to.throw().with.property('message').that.does.not.include('secret');
  });
});

describe('config: parseDuration', () => {
  const cases: [string, number][] = [['0', 0], ['30', 30_000], ['30s', 30_000], ['5m', 300_000], ['1h30m', 5_400_000], ['250ms', 250], ['1.5s', 1500]];
  for (const [text, ms] of cases) it(`${text} → ${ms} ms`, () => expect(parseDuration(text, '--x')).to.equal(ms));
  for (const text of ['', 'm', '5x', '1h 30m', '-5s']) it(`rejects '${text}'`, () => expect(() => parseDuration(text, '--x')).to.throw(/invalid --x/));
});

describe('config: parseListenAddress', () => {
  const cases: [string, { host: string | undefined; port: number }][] = [
    [':2222', { host: undefined, port: 2222 }], ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }], ['[::1]:22', { host: '::1', port: 22 }],
  ];
  for (const [text, want] of cases) it(text, () => expect(parseListenAddress(text, '-b')).to.deep.equal(want));
});
