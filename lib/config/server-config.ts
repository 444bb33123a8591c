import { inviteTokenRule, isStrongInviteToken } from './invite-token.js';
import { ConfigError } from '../errors.js';
import { Secret, type LogFormat } from '../log.js';
import { parseListenAddress, type ListenAddress } from './bind-address.js';
import { parseCidr, type Cidr } from './cidr.js';
import { parseDuration } from './duration.js';
import { parseMysqlDsn, type MysqlConn } from './mysql-dsn.js';

/** Where the data lives. */
export type DbConfig = { driver: 'sqlite3'; path: string } | { driver: 'mysql'; conn: MysqlConn };

/** The validated, frozen configuration of `sshportal server`. */
export interface ServerConfig {
  readonly listen: ListenAddress;
  readonly db: DbConfig;
  readonly debug: boolean;
  readonly aesKey: Secret | null;
  /** The key being replaced, during a key rotation. */
  readonly aesKeyPrevious: Secret | null;
  readonly logsLocation: string;
  readonly idleTimeoutMs: number;
  readonly aclCheckCmd: string | null;
  readonly configUser: string;
  readonly healthcheckUser: string;
  readonly defaultAdminInviteToken: Secret | null;
  readonly inviteTtlMs: number;
  readonly logFormat: LogFormat;
  /** This node's name in a cluster (sessions show it). */
  readonly nodeName: string;
  /** `--node-address`: where other nodes reach this one; null = derived from the bound listen address. */
  readonly nodeAddress: ListenAddress | null;
  /** sshd's LoginGraceTime: unauthenticated connections are dropped after this long. */
  readonly loginGraceMs: number;
  /** Most concurrent unauthenticated connections; the oldest is dropped past it. */
  readonly maxStartups: number;
  /** Authentication attempts allowed per connection. */
  readonly maxAuthTries: number;
  /** Failed logins per address and minute before the address is refused. */
  readonly maxAuthFailures: number;
  /** How long a refused address stays refused. */
  readonly authCooldownMs: number;
  /** Where the Prometheus `/metrics` endpoint listens; null = no endpoint. */
  readonly metricsListen: ListenAddress | null;
  /** Ciphers offered to clients (the client picks among them). */
  readonly ciphers: readonly Cipher[];
  /** Channels (sessions and forwards) one connection may hold open at once. */
  readonly maxChannels: number;
  /** Session channels one connection may hold open at once (OpenSSH's MaxSessions). */
  readonly maxSessions: number;
  /** Most concurrent client connections of any kind; null = sized from the open-files limit at start. */
  readonly maxConnections: number | null;
  /** `--max-user-connections`; null: an eighth of the connection cap (see principal-limit.ts). */
  readonly maxUserConnections: number | null;
  /** How long SIGTERM waits for live sessions to end before exiting; 0 = exit at once. */
  readonly drainTimeoutMs: number;
  /** The longest one database query (or wait for a connection) may take before "database unavailable". */
  readonly dbTimeoutMs: number;
  /**
   * Load balancers allowed (and required) to send a PROXY protocol header naming
   * the real client; empty = the feature is off and any header is refused.
   */
  readonly trustedProxies: readonly Cidr[];
}

/** Raw flag values as commander gives them (undefined when not given). */
export interface ServerFlags {
  bindAddress?: string;
  dbDriver?: string;
  dbConn?: string;
  debug?: boolean;
  aesKey?: string;
  aesKeyPrevious?: string;
  logsLocation?: string;
  idleTimeout?: string;
  aclCheckCmd?: string;
  configUser?: string;
  healthcheckUser?: string;
  inviteTtl?: string;
  logFormat?: string;
  ciphers?: string;
  nodeName?: string;
  nodeAddress?: string;
  loginGraceTime?: string;
  maxStartups?: string;
  maxAuthTries?: string;
  maxAuthFailures?: string;
  authCooldown?: string;
  metricsAddress?: string;
  maxChannels?: string;
  maxSessions?: string;
  maxConnections?: string;
  maxUserConnections?: string;
  drainTimeout?: string;
  dbTimeout?: string;
  trustedProxies?: string;
}

/** Environment variables the server reads. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Ciphers the portal can offer: AEAD and CTR modes only (no CBC). */
const supportedCiphers = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com',
  'aes128-ctr', 'aes192-ctr', 'aes256-ctr'] as const;
/** One of {@link supportedCiphers}. */
export type Cipher = (typeof supportedCiphers)[number];
/**
 * Offered by default: AES-GCM first, AES-CTR for old clients. chacha20-poly1305
 * is left out because OpenSSH clients prefer it whenever it is offered, and the
 * relay decrypts and re-encrypts every byte: with ssh2's native AES-GCM the
 * relay moves about twice the bytes per second. `--ciphers` can add it back.
 */
const defaultCiphers: readonly Cipher[] = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'];

function parseCiphers(text: string): Cipher[] {
  const list = text.split(',').map((c) => c.trim()).filter(Boolean);
  const known = (c: string): c is Cipher => (supportedCiphers as readonly string[]).includes(c);
  const bad = list.find((c) => !known(c));
  if (bad !== undefined || list.length === 0) {
    throw new ConfigError(`invalid --ciphers '${text}': expected a comma-separated list of ${supportedCiphers.join(', ')}`);
  }
  return list.filter(known);
}

/** At most this many ranges: the list is checked on every accepted connection. */
const maxTrustedProxies = 64;

function parseTrustedProxies(text: string): Cidr[] {
  const items = text.split(',').map((c) => c.trim()).filter(Boolean);
  const ranges = items.map(parseCidr);
  const bad = items.find((_, i) => ranges[i] === null);
  if (bad !== undefined || items.length > maxTrustedProxies) {
    const what = bad !== undefined ? `'${bad}'` : `more than ${maxTrustedProxies} ranges`;
    throw new ConfigError(`invalid --trusted-proxies ${what}: expected comma-separated addresses or CIDR ranges, e.g. 10.0.0.0/8,fd00::/8`);
  }
  return ranges.filter((r): r is Cidr => r !== null);
}

const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

const count = (v: string, flag: string, min: number): number => {
  if (!/^\d+$/.test(v.trim()) || Number(v) < min) throw new ConfigError(`invalid ${flag} '${v}': expected a whole number of at least ${min}`);
  return Number(v);
};

const loginName = (v: string, flag: string): string => {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(v)) throw new ConfigError(`invalid ${flag} '${v}': use letters, digits, '.', '_' or '-'`);
  return v;
};

/** Whether a listen address names no single interface (`:2222`, `0.0.0.0:2222`, `[::]:2222`). */
function isWildcard(addr: ListenAddress): boolean {
  return addr.host === undefined || addr.host === '0.0.0.0' || addr.host === '::';
}

function parseNodeAddress(text: string | undefined): ListenAddress | null {
  if (text === undefined || text === '') return null;
  const addr = parseListenAddress(text, '--node-address');
  if (isWildcard(addr) || addr.port === 0) throw new ConfigError(`invalid --node-address '${text}': expected the host:port other nodes dial, e.g. 10.0.0.5:2222`);
  return addr;
}

/** SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: as strong as `user update --invite_token` demands, or no start. */
function adminInviteToken(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (!isStrongInviteToken(v)) throw new ConfigError(`invalid SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: ${inviteTokenRule}`);
  return v;
}

/** `--db-timeout`: positive, and short enough that a login still answers (at most 10 minutes). */
function dbTimeout(v: string): number {
  const ms = parseDuration(v, '--db-timeout');
  if (ms < 100 || ms > 600_000) throw new ConfigError(`invalid --db-timeout '${v}': expected a duration from 100ms to 10m`);
  return ms;
}

/** The database of `--db-driver`/`--db-conn` (flags, then env, then defaults); `sshportal verify` needs only this. Pure. */
export function resolveDbConfig(flags: Pick<ServerFlags, 'dbDriver' | 'dbConn'>, env: Env): DbConfig {
  const driver = flags.dbDriver ?? env.SSHPORTAL_DB_DRIVER ?? 'sqlite3';
  const conn = flags.dbConn ?? env.SSHPORTAL_DATABASE_URL ?? (driver === 'sqlite3' ? './sshportal.db' : '');
  if (driver === 'sqlite3') {
    if (conn === '') throw new ConfigError('invalid --db-conn: empty SQLite path');
    return { driver, path: conn };
  }
  if (driver === 'mysql') {
    if (conn === '') throw new ConfigError('--db-conn is required with --db-driver=mysql');
    return { driver, conn: parseMysqlDsn(conn) };
  }
  throw new ConfigError(`invalid --db-driver '${driver}': expected sqlite3 or mysql`);
}

/**
 * Merges flags (first), SSHPORTAL_* env vars (second) and sshportal's defaults,
 * validates everything and returns a frozen config. Pure: no I/O.
 */
export function resolveServerConfig(flags: ServerFlags, env: Env, hostname = 'portal'): ServerConfig {
  const db = resolveDbConfig(flags, env);
  const aes = flags.aesKey ?? env.SSHPORTAL_AES_KEY;
  if (aes !== undefined && aes !== '' && ![16, 24, 32].includes(Buffer.byteLength(aes))) {
    throw new ConfigError('invalid --aes-key: must be 16, 24 or 32 characters long');
  }
  const previous = flags.aesKeyPrevious ?? env.SSHPORTAL_AES_KEY_PREVIOUS;
  if (previous && ![16, 24, 32].includes(Buffer.byteLength(previous))) throw new ConfigError('invalid --aes-key-previous: must be 16, 24 or 32 characters long');
  if (previous && !aes) throw new ConfigError('--aes-key-previous needs the new --aes-key');
  const token = adminInviteToken(env.SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN);
  const logFormat = flags.logFormat ?? env.SSHPORTAL_LOG_FORMAT ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new ConfigError(`invalid --log-format '${logFormat}': expected text or json`);
  const aclCmd = flags.aclCheckCmd ?? env.SSHPORTAL_ACL_CHECK_CMD;
  const metricsAddr = flags.metricsAddress ?? env.SSHPORTAL_METRICS_ADDRESS;
  const maxConns = flags.maxConnections ?? env.SSHPORTAL_MAX_CONNECTIONS;
  const maxUserConns = flags.maxUserConnections ?? env.SSHPORTAL_MAX_USER_CONNECTIONS;
  const config: ServerConfig = {
    listen: parseListenAddress(flags.bindAddress ?? env.SSHPORTAL_BIND ?? ':2222', '--bind-address'),
    db,
    debug: flags.debug === true || truthy(env.SSHPORTAL_DEBUG),
    aesKey: aes ? new Secret(aes) : null,
    aesKeyPrevious: previous ? new Secret(previous) : null,
    logsLocation: flags.logsLocation ?? env.SSHPORTAL_LOGS_LOCATION ?? './log',
    idleTimeoutMs: parseDuration(flags.idleTimeout ?? env.SSHPORTAL_IDLE_TIMEOUT ?? '0', '--idle-timeout'),
    aclCheckCmd: aclCmd ? aclCmd : null,
    configUser: loginName(flags.configUser ?? env.SSHPORTAL_CONFIG_USER ?? 'admin', '--config-user'),
    healthcheckUser: loginName(flags.healthcheckUser ?? env.SSHPORTAL_HEALTHCHECK_USER ?? 'healthcheck', '--healthcheck-user'),
    defaultAdminInviteToken: token ? new Secret(token) : null,
    inviteTtlMs: parseDuration(flags.inviteTtl ?? env.SSHPORTAL_INVITE_TTL ?? '168h', '--invite-ttl'),
    logFormat,
    nodeName: loginName(flags.nodeName ?? env.SSHPORTAL_NODE_NAME ?? hostname, '--node-name'),
    nodeAddress: parseNodeAddress(flags.nodeAddress ?? env.SSHPORTAL_NODE_ADDRESS),
    loginGraceMs: parseDuration(flags.loginGraceTime ?? env.SSHPORTAL_LOGIN_GRACE_TIME ?? '2m', '--login-grace-time'),
    maxStartups: count(flags.maxStartups ?? env.SSHPORTAL_MAX_STARTUPS ?? '256', '--max-startups', 1),
    maxAuthTries: count(flags.maxAuthTries ?? env.SSHPORTAL_MAX_AUTH_TRIES ?? '10', '--max-auth-tries', 1),
    maxAuthFailures: count(flags.maxAuthFailures ?? env.SSHPORTAL_MAX_AUTH_FAILURES ?? '20', '--max-auth-failures', 1),
    authCooldownMs: parseDuration(flags.authCooldown ?? env.SSHPORTAL_AUTH_COOLDOWN ?? '5m', '--auth-cooldown'),
    metricsListen: metricsAddr ? parseListenAddress(metricsAddr, '--metrics-address') : null,
    ciphers: flags.ciphers ?? env.SSHPORTAL_CIPHERS ? parseCiphers(flags.ciphers ?? env.SSHPORTAL_CIPHERS ?? '') : defaultCiphers,
    maxChannels: count(flags.maxChannels ?? env.SSHPORTAL_MAX_CHANNELS ?? '128', '--max-channels', 1),
    maxSessions: count(flags.maxSessions ?? env.SSHPORTAL_MAX_SESSIONS ?? '10', '--max-sessions', 1),
    maxConnections: maxConns === undefined || maxConns === '' ? null : count(maxConns, '--max-connections', 2),
    maxUserConnections: maxUserConns === undefined || maxUserConns === '' ? null : count(maxUserConns, '--max-user-connections', 1),
    drainTimeoutMs: parseDuration(flags.drainTimeout ?? env.SSHPORTAL_DRAIN_TIMEOUT ?? '0', '--drain-timeout'),
    dbTimeoutMs: dbTimeout(flags.dbTimeout ?? env.SSHPORTAL_DB_TIMEOUT ?? '5s'),
    trustedProxies: Object.freeze(parseTrustedProxies(flags.trustedProxies ?? env.SSHPORTAL_TRUSTED_PROXIES ?? '')),
  };
  if (db.driver === 'mysql' && config.nodeAddress === null && isWildcard(config.listen)) {
    throw new ConfigError('--bind-address listens on every interface: give --node-address, the address other nodes reach this one at');
  }
  if (config.configUser === config.healthcheckUser) throw new ConfigError('--config-user and --healthcheck-user must differ');
  return Object.freeze(config);
}
