import { ConfigError } from '../errors.js';

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go-style duration (`90s`, `5m`, `1h30m`, `0`) into milliseconds.
 * A bare number is taken as seconds.
 */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * unitMs[m[2]];
    consumed = re.lastIndex;
  }
  if (t === '' || consumed !== t.length) throw new ConfigError(`invalid ${flag} '${text}': expected a duration such as 30s, 5m or 1h30m`);
  return Math.round(total);
}
