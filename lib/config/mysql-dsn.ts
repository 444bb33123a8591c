import { ConfigError } from '../errors.js';

/** Connection parameters of a MySQL/MariaDB database. */
export interface MysqlConn {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
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
    };
  }
  const m = /^(?:([^:@]*)(?::(.*))?@)?(?:tcp\(([^)]*)\))?\/([^?/]+)(?:\?.*)?$/.exec(dsn);
  if (!m) {
    throw new ConfigError(`invalid --db-conn '${redactDsn(dsn)}': expected user:password@tcp(host:port)/dbname or mysql://user:password@host:port/dbname`);
  }
  // Optional groups are undefined when they did not take part in the match.
  const [, user, password, address] = m as (string | undefined)[];
  const addr = hostPort(address ?? '', dsn);
  return { ...addr, user: user || 'root', password: password ?? '', database: m[4] };
}
