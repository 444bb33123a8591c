import { ConfigError } from '../errors.js';

/** Where to listen; `host` undefined means every interface. */
export interface ListenAddress {
  host: string | undefined;
  port: number;
}

/** Parses `:2222`, `127.0.0.1:2222`, `[::1]:2222`, `host:port`. */
export function parseListenAddress(text: string, flag: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]*):(\d+)$/.exec(text);
  if (!m) throw new ConfigError(`invalid ${flag} '${text}': expected [host]:port, e.g. :2222 or 127.0.0.1:2222`);
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigError(`invalid ${flag} '${text}': port must be 0-65535`);
  return { host: m[1] === '' ? undefined : m[1], port };
}
