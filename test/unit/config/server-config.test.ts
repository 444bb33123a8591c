import { expect } from 'chai';
import { resolveServerConfig, type ServerFlags, type Env } from '../../../lib/config/server-config.js';
import { parseMysqlDsn, redactDsn } from '../../../lib/config/mysql-dsn.js';
import { parseDuration } from '../../../lib/config/duration.js';
import { parseListenAddress } from '../../../lib/config/bind-address.js';
import { formatCidr } from '../../../lib/config/cidr.js';

describe('config: resolveServerConfig', () => {
  it('uses sshportal defaults', () => {
    const c = resolveServerConfig({}, {}, 'node1');
    expect(c.listen).to.deep.equal({ host: undefined, port: 2222 });
    expect(c.db).to.deep.equal({ driver: 'sqlite3', path: './sshportal.db' });
    expect(c).to.include({ debug: false, logsLocation: './log', idleTimeoutMs: 0, aclCheckCmd: null, configUser: 'admin',
      healthcheckUser: 'healthcheck', logFormat: 'text', nodeName: 'node1', inviteTtlMs: 7 * 24 * 3600 * 1000 });
    expect(c.aesKey).to.equal(null);
    expect(c.trustedProxies).to.deep.equal([]);
    expect(Object.isFrozen(c)).to.equal(true);
  });

  const ok: { name: string; flags: ServerFlags; env: Env; check: (c: ReturnType<typeof resolveServerConfig>) => void }[] = [
    { name: 'env vars', flags: {}, env: { SSHPORTAL_BIND: '127.0.0.1:2022', SSHPORTAL_DEBUG: '1', SSHPORTAL_LOGS_LOCATION: '/var/log/x' },
      check: (c) => { expect(c.listen).to.deep.equal({ host: '127.0.0.1', port: 2022 }); expect(c.debug).to.equal(true); expect(c.logsLocation).to.equal('/var/log/x'); } },
    { name: 'flags win over env', flags: { bindAddress: ':2000' }, env: { SSHPORTAL_BIND: ':3000' },
      check: (c) => expect(c.listen.port).to.equal(2000) },
    { name: 'mysql Go DSN from env', flags: { dbDriver: 'mysql', nodeAddress: '10.0.0.5:2222' }, env: { SSHPORTAL_DATABASE_URL: 'root@tcp(127.0.0.1:3306)/sshportal?parseTime=true' },
      check: (c) => expect(c.db).to.deep.equal({ driver: 'mysql', conn: { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'sshportal', tls: 'off' } }) },
    { name: 'aes key of 32 chars', flags: { aesKey: 'x'.repeat(32) }, env: {},
      check: (c) => { expect(c.aesKey?.reveal()).to.equal('x'.repeat(32)); expect(String(c.aesKey)).to.equal('[redacted]'); } },
    { name: 'idle timeout', flags: { idleTimeout: '1h30m' }, env: {}, check: (c) => expect(c.idleTimeoutMs).to.equal(5_400_000) },
    { name: 'admin invite token', flags: {}, env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: 'abc-DEF_123' },
      check: (c) => expect(c.defaultAdminInviteToken?.reveal()).to.equal('abc-DEF_123') },
    { name: 'an empty admin invite token as unset', flags: {}, env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: '' },
      check: (c) => expect(c.defaultAdminInviteToken).to.equal(null) },
    { name: 'db timeout default 5 s', flags: {}, env: {}, check: (c) => expect(c.dbTimeoutMs).to.equal(5_000) },
    { name: 'db timeout flag', flags: { dbTimeout: '1500ms' }, env: { SSHPORTAL_DB_TIMEOUT: '9s' }, check: (c) => expect(c.dbTimeoutMs).to.equal(1_500) },
    { name: 'db timeout env', flags: {}, env: { SSHPORTAL_DB_TIMEOUT: '2s' }, check: (c) => expect(c.dbTimeoutMs).to.equal(2_000) },
    { name: 'ciphers', flags: { ciphers: 'chacha20-poly1305@openssh.com, aes256-gcm@openssh.com' }, env: {},
      check: (c) => expect(c.ciphers).to.deep.equal(['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com']) },
    { name: 'default ciphers: AES-GCM first, no chacha20', flags: {}, env: {},
      check: (c) => { expect(c.ciphers[0]).to.equal('aes128-gcm@openssh.com'); expect(c.ciphers).to.not.include('chacha20-poly1305@openssh.com'); } },
    { name: 'connection limits', flags: { maxChannels: '300' }, env: { SSHPORTAL_MAX_SESSIONS: '4' },
      check: (c) => expect([c.maxChannels, c.maxSessions]).to.deep.equal([300, 4]) },
    { name: 'default connection limits', flags: {}, env: {},
      check: (c) => expect([c.maxChannels, c.maxSessions]).to.deep.equal([128, 10]) },
    { name: 'max connections: sized at start by default', flags: {}, env: {}, check: (c) => expect(c.maxConnections).to.equal(null) },
    { name: 'max connections from the flag', flags: { maxConnections: '500' }, env: {}, check: (c) => expect(c.maxConnections).to.equal(500) },
    { name: 'max connections from env', flags: {}, env: { SSHPORTAL_MAX_CONNECTIONS: '64' }, check: (c) => expect(c.maxConnections).to.equal(64) },
    { name: 'max user connections: derived at start by default', flags: {}, env: {}, check: (c) => expect(c.maxUserConnections).to.equal(null) },
    { name: 'max user connections from the flag', flags: { maxUserConnections: '3' }, env: {}, check: (c) => expect(c.maxUserConnections).to.equal(3) },
    { name: 'max user connections from env', flags: {}, env: { SSHPORTAL_MAX_USER_CONNECTIONS: '40' }, check: (c) => expect(c.maxUserConnections).to.equal(40) },
    { name: 'drain timeout: off by default', flags: {}, env: {}, check: (c) => expect(c.drainTimeoutMs).to.equal(0) },
    { name: 'drain timeout', flags: { drainTimeout: '45s' }, env: {}, check: (c) => expect(c.drainTimeoutMs).to.equal(45_000) },
    { name: 'drain timeout from env', flags: {}, env: { SSHPORTAL_DRAIN_TIMEOUT: '2m' }, check: (c) => expect(c.drainTimeoutMs).to.equal(120_000) },
    { name: 'no --node-address: derived later from the bound address', flags: {}, env: {}, check: (c) => expect(c.nodeAddress).to.equal(null) },
    { name: 'node address from env', flags: {}, env: { SSHPORTAL_NODE_ADDRESS: '[fd00::5]:2222' },
      check: (c) => expect(c.nodeAddress).to.deep.equal({ host: 'fd00::5', port: 2222 }) },
    { name: 'mysql on one interface without --node-address', flags: { dbDriver: 'mysql', dbConn: 'root@tcp(db:3306)/x', bindAddress: '10.0.0.5:2222' }, env: {},
      check: (c) => expect(c.nodeAddress).to.equal(null) },
    { name: 'mysql on every interface with --node-address', flags: { dbDriver: 'mysql', dbConn: 'root@tcp(db:3306)/x', nodeAddress: 'portal1:2222' }, env: {},
      check: (c) => expect(c.nodeAddress).to.deep.equal({ host: 'portal1', port: 2222 }) },
    { name: 'custom users', flags: { configUser: 'root', healthcheckUser: 'hc' }, env: {},
      check: (c) => expect([c.configUser, c.healthcheckUser]).to.deep.equal(['root', 'hc']) },
    { name: 'trusted proxies from the flag', flags: { trustedProxies: '10.0.0.0/8, 192.168.1.7,fd00::/8' }, env: {},
      check: (c) => expect(c.trustedProxies.map(formatCidr)).to.deep.equal(['10.0.0.0/8', '192.168.1.7/32', 'fd00::/8']) },
    { name: 'trusted proxies from SSHPORTAL_TRUSTED_PROXIES', flags: {}, env: { SSHPORTAL_TRUSTED_PROXIES: '172.16.0.0/12' },
      check: (c) => expect(c.trustedProxies.map(formatCidr)).to.deep.equal(['172.16.0.0/12']) },
    { name: 'trusted proxies: the flag wins over env', flags: { trustedProxies: '::1' }, env: { SSHPORTAL_TRUSTED_PROXIES: '10.0.0.0/8' },
      check: (c) => expect(c.trustedProxies.map(formatCidr)).to.deep.equal(['::1/128']) },
    { name: 'trusted proxies: an empty list is off', flags: {}, env: { SSHPORTAL_TRUSTED_PROXIES: '' },
      check: (c) => expect(c.trustedProxies).to.deep.equal([]) },
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
    { flags: { dbDriver: 'mysql', dbConn: 'root@tcp(db:3306)/x' }, message: /every interface: give --node-address/ },
    { flags: { dbDriver: 'mysql', dbConn: 'root@tcp(db:3306)/x', bindAddress: '0.0.0.0:2222' }, message: /give --node-address/ },
    { flags: { dbDriver: 'mysql', dbConn: 'root@tcp(db:3306)/x', bindAddress: '[::]:2222' }, message: /give --node-address/ },
    { flags: { nodeAddress: ':2222' }, message: /invalid --node-address/ },
    { flags: { nodeAddress: '10.0.0.5:0' }, message: /invalid --node-address/ },
    { flags: { nodeAddress: 'nonsense' }, message: /invalid --node-address/ },
    { flags: { nodeName: 'a:b' }, message: /invalid --node-name/ },
    { flags: { maxConnections: '1' }, message: /invalid --max-connections '1'/ },
    { flags: { maxConnections: 'lots' }, message: /invalid --max-connections 'lots'/ },
    { flags: { maxUserConnections: '0' }, message: /invalid --max-user-connections '0'/ },
    { flags: { drainTimeout: 'later' }, message: /invalid --drain-timeout 'later'/ },
    { flags: {}, env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: 'x' }, message: /^invalid SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: 10 to 128 letters/ },
    { flags: {}, env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: '123456789' }, message: /SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN/ },
    { flags: {}, env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: 'has space in it' }, message: /SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN/ },
    { flags: {}, env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: 'a'.repeat(129) }, message: /SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN/ },
    { flags: { dbTimeout: 'soon' }, message: /invalid --db-timeout 'soon'/ },
    { flags: { dbTimeout: '0' }, message: /invalid --db-timeout '0': expected a duration from 100ms to 10m/ },
    { flags: {}, env: { SSHPORTAL_DB_TIMEOUT: '1h' }, message: /invalid --db-timeout '1h'/ },
    { flags: { trustedProxies: '10.0.0.0/33' }, message: /invalid --trusted-proxies '10.0.0.0\/33'/ },
    { flags: { trustedProxies: '10.0.0.0/8,haproxy' }, message: /invalid --trusted-proxies 'haproxy'/ },
    { flags: {}, env: { SSHPORTAL_TRUSTED_PROXIES: '010.0.0.1' }, message: /invalid --trusted-proxies '010.0.0.1'/ },
    { flags: { trustedProxies: Array.from({ length: 65 }, (_, i) => `10.0.0.${i}`).join(',') }, message: /more than 64 ranges/ },
  ];
  for (const t of bad) {
    it(`rejects ${JSON.stringify(t.flags)} ${JSON.stringify(t.env ?? {})}`, () => {
      expect(() => resolveServerConfig(t.flags, t.env ?? {})).to.throw(t.message);
    });
  }
});

describe('config: parseMysqlDsn', () => {
  const cases: [string, ReturnType<typeof parseMysqlDsn>][] = [
    ['root@tcp(127.0.0.1:3306)/db?parseTime=true', { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'db', tls: 'off' }],
    ['u:p@ss@tcp(db.local:3307)/portal', { host: 'db.local', port: 3307, user: 'u', password: 'p@ss', database: 'portal', tls: 'off' }],
    ['u:pw@tcp(db.local)/portal', { host: 'db.local', port: 3306, user: 'u', password: 'pw', database: 'portal', tls: 'off' }],
    ['u:pw@/portal', { host: '127.0.0.1', port: 3306, user: 'u', password: 'pw', database: 'portal', tls: 'off' }],
    ['mysql://u:p%40w@h:3308/portal', { host: 'h', port: 3308, user: 'u', password: 'p@w', database: 'portal', tls: 'off' }],
    ['mysql://h/portal', { host: 'h', port: 3306, user: 'root', password: '', database: 'portal', tls: 'off' }],
    ['u:pw@tcp(db:3306)/portal?tls=true', { host: 'db', port: 3306, user: 'u', password: 'pw', database: 'portal', tls: 'verify' }],
    ['u:pw@tcp(db:3306)/portal?parseTime=true&tls=skip-verify&charset=utf8mb4', { host: 'db', port: 3306, user: 'u', password: 'pw', database: 'portal', tls: 'skip-verify' }],
    ['u:pw@tcp(db:3306)/portal?tls=false&loc=Local', { host: 'db', port: 3306, user: 'u', password: 'pw', database: 'portal', tls: 'off' }],
    ['mysql://u:pw@db/portal?tls=true', { host: 'db', port: 3306, user: 'u', password: 'pw', database: 'portal', tls: 'verify' }],
  ];
  for (const [dsn, want] of cases) it(`parses ${dsn}`, () => expect(parseMysqlDsn(dsn)).to.deep.equal(want));
  const refused: [string, RegExp][] = [
    ['u:secret@tcp(db)/x?tls=preferred', /tls=preferred is not supported: use tls=true/],
    ['u:secret@tcp(db)/x?tls=custom-ca', /tls=custom-ca is not supported/],
    ['u:secret@tcp(db)/x?ssl=true', /unknown parameter 'ssl'/],
    ['mysql://u:secret@db/x?sslmode=require', /unknown parameter 'sslmode'/],
  ];
  for (const [dsn, message] of refused) {
    it(`refuses '${dsn}' rather than connect in plaintext`, () => {
      expect(() => parseMysqlDsn(dsn)).to.throw(message).with.property('message').that.does.not.include('secret');
    });
  }
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
