import { ConfigError } from '../errors.js';
import { Secret, type LogFormat } from '../log.js';
import { parseListenAddress, type ListenAddress } from './bind-address.js';
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
  loginGraceTime?: string;
  maxStartups?: string;
  maxAuthTries?: string;
  maxAuthFailures?: string;
  authCooldown?: string;
  metricsAddress?: string;
  maxChannels?: string;
  maxSessions?: string;
}

/** Environment variables the server reads. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Ciphers the portal can offer: AEAD and CTR modes only (no CBC). */
export const supportedCiphers = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com',
  'aes128-ctr', 'aes192-ctr', 'aes256-ctr'] as const;
/** One of {@link supportedCiphers}. */
export type Cipher = (typeof supportedCiphers)[number];
/**
 * Offered by default: AES-GCM first, AES-CTR for old clients. chacha20-poly1305
 * is left out because OpenSSH clients prefer it whenever it is offered, and the
 * relay decrypts and re-encrypts every byte: with ssh2's native AES-GCM the
 * relay moves about twice the bytes per second. `--ciphers` can add it back.
 */
export const defaultCiphers: readonly Cipher[] = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'];

function parseCiphers(text: string): Cipher[] {
  const list = text.split(',').map((c) => c.trim()).filter(Boolean);
  const known = (c: string): c is Cipher => (supportedCiphers as readonly string[]).includes(c);
  const bad = list.find((c) => !known(c));
  if (bad !== undefined || list.length === 0) {
    throw new ConfigError(`invalid --ciphers '${text}': expected a comma-separated list of ${supportedCiphers.join(', ')}`);
  }
  return list.filter(known);
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

/**
 * Merges flags (first), SSHPORTAL_* env vars (second) and sshportal's defaults,
 * validates everything and returns a frozen config. Pure: no I/O.
 */
export function resolveServerConfig(flags: ServerFlags, env: Env, hostname = 'portal'): ServerConfig {
  const driver = flags.dbDriver ?? env.SSHPORTAL_DB_DRIVER ?? 'sqlite3';
  const conn = flags.dbConn ?? env.SSHPORTAL_DATABASE_URL ?? (driver === 'sqlite3' ? './sshportal.db' : '');
  let db: DbConfig;
  if (driver === 'sqlite3') {
    if (conn === '') throw new ConfigError('invalid --db-conn: empty SQLite path');
    db = { driver, path: conn };
  } else if (driver === 'mysql') {
    if (conn === '') throw new ConfigError('--db-conn is required with --db-driver=mysql');
    db = { driver, conn: parseMysqlDsn(conn) };
  } else {
    throw new ConfigError(`invalid --db-driver '${driver}': expected sqlite3 or mysql`);
  }
  const aes = flags.aesKey ?? env.SSHPORTAL_AES_KEY;
  if (aes !== undefined && aes !== '' && ![16, 24, 32].includes(Buffer.byteLength(aes))) {
    throw new ConfigError('invalid --aes-key: must be 16, 24 or 32 characters long');
  }
  const previous = flags.aesKeyPrevious ?? env.SSHPORTAL_AES_KEY_PREVIOUS;
  if (previous && ![16, 24, 32].includes(Buffer.byteLength(previous))) throw new ConfigError('invalid --aes-key-previous: must be 16, 24 or 32 characters long');
  if (previous && !aes) throw new ConfigError('--aes-key-previous needs the new --aes-key');
  const token = env.SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN;
  const logFormat = flags.logFormat ?? env.SSHPORTAL_LOG_FORMAT ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new ConfigError(`invalid --log-format '${logFormat}': expected text or json`);
  const aclCmd = flags.aclCheckCmd ?? env.SSHPORTAL_ACL_CHECK_CMD;
  const metricsAddr = flags.metricsAddress ?? env.SSHPORTAL_METRICS_ADDRESS;
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
    nodeName: flags.nodeName ?? env.SSHPORTAL_NODE_NAME ?? hostname,
    loginGraceMs: parseDuration(flags.loginGraceTime ?? env.SSHPORTAL_LOGIN_GRACE_TIME ?? '2m', '--login-grace-time'),
    maxStartups: count(flags.maxStartups ?? env.SSHPORTAL_MAX_STARTUPS ?? '256', '--max-startups', 1),
    maxAuthTries: count(flags.maxAuthTries ?? env.SSHPORTAL_MAX_AUTH_TRIES ?? '10', '--max-auth-tries', 1),
    maxAuthFailures: count(flags.maxAuthFailures ?? env.SSHPORTAL_MAX_AUTH_FAILURES ?? '20', '--max-auth-failures', 1),
    authCooldownMs: parseDuration(flags.authCooldown ?? env.SSHPORTAL_AUTH_COOLDOWN ?? '5m', '--auth-cooldown'),
    metricsListen: metricsAddr ? parseListenAddress(metricsAddr, '--metrics-address') : null,
    ciphers: flags.ciphers ?? env.SSHPORTAL_CIPHERS ? parseCiphers(flags.ciphers ?? env.SSHPORTAL_CIPHERS ?? '') : defaultCiphers,
    maxChannels: count(flags.maxChannels ?? env.SSHPORTAL_MAX_CHANNELS ?? '128', '--max-channels', 1),
    maxSessions: count(flags.maxSessions ?? env.SSHPORTAL_MAX_SESSIONS ?? '10', '--max-sessions', 1),
  };
  if (config.configUser === config.healthcheckUser) throw new ConfigError('--config-user and --healthcheck-user must differ');
  return Object.freeze(config);
}
