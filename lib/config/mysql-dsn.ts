import { ConfigError } from '../errors.js';

/**
 * TLS towards the database, as Go's MySQL driver names it in the DSN: none
 * (`tls=false`, the default), verified against the system's CAs (`tls=true`),
 * or encrypted without checking the certificate (`tls=skip-verify`).
 */
export type MysqlTls = 'off' | 'verify' | 'skip-verify';

/** Connection parameters of a MySQL/MariaDB database. */
export interface MysqlConn {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  tls: MysqlTls;
}

/**
 * Parameters of Go's MySQL driver that sshportal's DSNs carry (`?parseTime=true`,
 * `charset`, `loc`, timeouts) and that the portal sets for itself: accepted and
 * ignored. Anything else is refused rather than dropped: a dropped `tls=true`
 * connected in plaintext without a word.
 */
const ignoredParams: ReadonlySet<string> = new Set([
  'parseTime', 'charset', 'collation', 'loc', 'timeout', 'readTimeout', 'writeTimeout', 'allowNativePasswords',
  'interpolateParams', 'maxAllowedPacket', 'clientFoundRows', 'columnsWithAlias', 'rejectReadOnly', 'checkConnLiveness',
]);

const tlsValues: Readonly<Record<string, MysqlTls>> = { true: 'verify', 'skip-verify': 'skip-verify', false: 'off' };

/** The DSN's query string (without `?`) as connection settings; throws on what the portal cannot honour. */
function parseParams(query: string, whole: string): { tls: MysqlTls } {
  const bad = (why: string): ConfigError => new ConfigError(`invalid --db-conn '${redactDsn(whole)}': ${why}`);
  let tls: MysqlTls = 'off';
  for (const [name, value] of new URLSearchParams(query)) {
    if (name === 'tls') {
      if (!Object.hasOwn(tlsValues, value)) {
        throw bad(`tls=${JSON.stringify(value).slice(1, -1).slice(0, 40)} is not supported: use tls=true (verified), tls=skip-verify or tls=false`);
      }
      tls = tlsValues[value] ?? 'off';
    } else if (!ignoredParams.has(name)) {
      throw bad(`unknown parameter '${name.slice(0, 40)}' (supported: tls=true|skip-verify|false; Go's ${[...ignoredParams].join(', ')} are accepted and ignored)`);
    }
  }
  return { tls };
}

function port(text: string, whole: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new ConfigError(`invalid --db-conn '${redactDsn(whole)}': bad port '${text}'`);
  return n;
}

function hostPort(text: string, whole: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(.*))?$/.exec(text) ?? /^([^:]*)(?::(.*))?$/.exec(text);
  if (!m) throw new ConfigError(`invalid --db-conn '${redactDsn(whole)}': bad address`);
  const portText = m[2] as string | undefined;
  return { host: m[1] || '127.0.0.1', port: portText === undefined ? 3306 : port(portText, whole) };
}

/** Hides the password of a DSN for messages. */
export function redactDsn(dsn: string): string {
  return dsn.replace(/^(mysql:\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(/^([^:/@()]*:)[^@]*@(tcp|unix)\(/, '$1***@$2(');
}

/**
 * Parses a MySQL connection string: Go's DSN (`user[:pass]@tcp(host:port)/db?params`)
 * as sshportal takes it, or a URL (`mysql://user:pass@host:port/db`).
 */
export function parseMysqlDsn(dsn: string): MysqlConn {
  if (dsn.startsWith('mysql://')) {
    let url: URL;
    try { url = new URL(dsn); } catch { throw new ConfigError(`invalid --db-conn '${redactDsn(dsn)}': not a valid URL`); }
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (!database) throw new ConfigError(`invalid --db-conn '${redactDsn(dsn)}': no database name`);
    return {
      host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: url.port ? port(url.port, dsn) : 3306,
      user: decodeURIComponent(url.username) || 'root',
      password: decodeURIComponent(url.password),
      database,
      ...parseParams(url.search.replace(/^\?/, ''), dsn),
    };
  }
  const m = /^(?:([^:@]*)(?::(.*))?@)?(?:tcp\(([^)]*)\))?\/([^?/]+)(?:\?(.*))?$/.exec(dsn);
  if (!m) {
    throw new ConfigError(`invalid --db-conn '${redactDsn(dsn)}': expected user:password@tcp(host:port)/dbname or mysql://user:password@host:port/dbname`);
  }
  // Optional groups are undefined when they did not take part in the match.
  const [, user, password, address, , query] = m as (string | undefined)[];
  const addr = hostPort(address ?? '', dsn);
  return { ...addr, user: user || 'root', password: password ?? '', database: m[4], ...parseParams(query ?? '', dsn) };
}
