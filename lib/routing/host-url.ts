import { characterCount } from '../characters.js';
import { InvalidArgumentError, quoted } from '../errors.js';

/** A target address as `host create`/`host update --url` accept it. */
export interface HostUrl {
  /** Login on the target; sshportal's default is `root`. */
  user: string;
  password: string | null;
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  port: number;
  /** `host:port` (`[v6]:port` for IPv6), what the relay dials. */
  addr: string;
  /** `ssh://user@addr`, never containing the password. */
  url: string;
}

const hostnamePattern = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;
const ipv4Pattern = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const ipv6Pattern = /^[0-9A-Fa-f:.]{2,45}$/;
/**
 * The widths of the columns a host's URL, address and user are kept in
 * (characters): a longer one was kept by SQLite, refused by MariaDB as an
 * internal error, and made the portal's own backup fail to restore.
 */
const maxUrl = 1024;
const maxAddr = 255;
const maxUser = 255;

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InvalidArgumentError(`invalid URL: bad percent-encoding in the ${what}`);
  }
}

/** Parses the port of a URL; pure. */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new InvalidArgumentError(`invalid port ${quoted(text)}: expected a number from 1 to 65535`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new InvalidArgumentError(`invalid port ${quoted(text)}: expected a number from 1 to 65535`);
  return port;
}

/** Splits `host[:port]` or `[v6][:port]` (a URL's authority, or a host's stored `addr`); port 22 by default. */
export function splitHostPort(hostport: string): { host: string; port: number; v6: boolean } {
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    const host = close > 0 ? hostport.slice(1, close) : '';
    const rest = close > 0 ? hostport.slice(close + 1) : '';
    if (host === '' || !ipv6Pattern.test(host) || (rest !== '' && !rest.startsWith(':'))) throw new InvalidArgumentError(`invalid URL: bad IPv6 address ${quoted(hostport)}`);
    return { host, port: rest === '' ? 22 : parsePort(rest.slice(1)), v6: true };
  }
  const colon = hostport.lastIndexOf(':');
  const host = colon === -1 ? hostport : hostport.slice(0, colon);
  const port = colon === -1 ? 22 : parsePort(hostport.slice(colon + 1));
  if (host === '') throw new InvalidArgumentError('invalid URL: missing host name');
  if (!ipv4Pattern.test(host) && !hostnamePattern.test(host)) throw new InvalidArgumentError(`invalid URL: bad host name ${quoted(host)}`);
  return { host, port, v6: false };
}

function splitUserInfo(info: string | null): { user: string; password: string | null } {
  if (info === null) return { user: 'root', password: null };
  const colon = info.indexOf(':');
  const user = decode(colon === -1 ? info : info.slice(0, colon), 'user');
  const password = colon === -1 ? null : decode(info.slice(colon + 1), 'password');
  if (user === '' || /[\s@:/]/.test(user)) throw new InvalidArgumentError(`invalid URL: bad user name ${quoted(user)}`);
  if (characterCount(user) > maxUser) throw new InvalidArgumentError(`invalid URL: user name longer than ${maxUser} characters`);
  if (password === '') throw new InvalidArgumentError('invalid URL: empty password');
  return { user, password };
}

/**
 * `url` with the password of its user part (between the first `:` after the
 * scheme and the last `@`) replaced by `***`: an error that quotes a refused
 * URL is printed, and may be logged, where a password must not be.
 */
function withoutPassword(url: string): string {
  const at = url.lastIndexOf('@');
  const start = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url)?.[0].length ?? 0;
  const colon = url.indexOf(':', start);
  return at === -1 || colon === -1 || colon > at ? url : `${url.slice(0, colon + 1)}***${url.slice(at)}`;
}

/**
 * Parses `[ssh://]<user>[:<password>]@<host>[:<port>]` (user optional, `root`
 * by default; port 22 by default; IPv6 in brackets). Only the ssh scheme is
 * supported. Pure; throws InvalidArgumentError with what is wrong.
 */
export function parseHostUrl(input: string): HostUrl {
  let rest = input.trim();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (scheme) {
    if (scheme[1].toLowerCase() !== 'ssh') throw new InvalidArgumentError(`unsupported URL scheme ${quoted(scheme[1])}: only ssh is supported`);
    rest = rest.slice(scheme[0].length);
  }
  if (rest === '') throw new InvalidArgumentError('invalid URL: empty address');
  if (/[\s/?#]/.test(rest.replace(/\/$/, ''))) throw new InvalidArgumentError(`invalid URL ${quoted(withoutPassword(input.trim()))}: expected [ssh://]user[:password]@host[:port]`);
  rest = rest.replace(/\/$/, '');
  const at = rest.lastIndexOf('@');
  const { user, password } = splitUserInfo(at === -1 ? null : rest.slice(0, at));
  const { host, port, v6 } = splitHostPort(at === -1 ? rest : rest.slice(at + 1));
  const addr = `${v6 ? `[${host}]` : host}:${port}`;
  if (addr.length > maxAddr) throw new InvalidArgumentError(`invalid URL: host and port longer than ${maxAddr} characters`);
  const url = `ssh://${encodeURIComponent(user)}@${addr}`;
  if (url.length > maxUrl) throw new InvalidArgumentError(`invalid URL: longer than ${maxUrl} characters once its user name is encoded`);
  return { user, password, host, port, addr, url };
}

/**
 * The name `host create` gives a host without `--name` (sshportal's rule):
 * an IPv4 address as is, otherwise the first label of the host name.
 */
export function defaultHostName(host: string): string {
  if (ipv4Pattern.test(host)) return host;
  if (host.includes(':')) return host.replace(/:/g, '-');
  return host.split('.')[0] ?? host;
}

/** Scheme of a reverse-tunnel host's URL: the host is reached through its connector, never dialed. */
const tunnelScheme = 'tunnel://';

/** Whether a host's stored URL marks it as a reverse-tunnel host. Pure. */
export function isTunnelUrl(url: string): boolean {
  return url.startsWith(tunnelScheme);
}

/**
 * Parses `host create --tunnel`'s `USER@NAME[:PORT]` (no password in it, no
 * scheme): the login on the machine behind the connector, and the name the
 * host gets. The port is kept for display (the connector's forward decides
 * what is reached). Pure.
 */
export function parseTunnelUrl(input: string): HostUrl {
  const text = input.trim().startsWith(tunnelScheme) ? input.trim().slice(tunnelScheme.length) : input.trim();
  const parsed = parseHostUrl(text);
  if (parsed.password !== null) throw new InvalidArgumentError('invalid tunnel URL: give a password with --password, not in the URL');
  const shown = parsed.port === 22 ? parsed.host : parsed.addr;
  const url = `${tunnelScheme}${encodeURIComponent(parsed.user)}@${shown}`;
  if (url.length > maxUrl) throw new InvalidArgumentError(`invalid tunnel URL: longer than ${maxUrl} characters once its user name is encoded`);
  return { ...parsed, url };
}
