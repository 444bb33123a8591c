import { readFileSync } from 'node:fs';

/** File descriptors kept for the database, log files, listeners and the runtime. */
const reservedFds = 64;
/** Descriptors one relayed connection may hold: client socket, upstream socket, recording file. */
const fdsPerConnection = 3;
/** Above this, memory (not descriptors) is the limit: ~70 KiB per idle relayed session, more when busy. */
const ceiling = 10_000;
/** Never below this, however low the limit: an admin must still get in. */
const floor = 16;
/** Assumed when the limit cannot be read (not Linux): a common default soft limit. */
const assumedOpenFiles = 1024;

/**
 * The default of `--max-connections` for a process allowed `openFiles`
 * descriptors (null: unknown). Each connection may hold three descriptors, so
 * the portal refuses new connections before it runs out of them; the ceiling
 * bounds memory on machines with a huge limit. Pure.
 */
export function defaultMaxConnections(openFiles: number | null): number {
  const fds = openFiles ?? assumedOpenFiles;
  return Math.max(floor, Math.min(ceiling, Math.floor((fds - reservedFds) / fdsPerConnection)));
}

/** Parses the soft "Max open files" limit out of /proc/self/limits text (Infinity when unlimited, null when absent). */
export function parseOpenFilesLimit(limits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  if (!m) return null;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/** This process's soft open-files limit (`ulimit -n`), or null when it cannot be read. */
export function openFilesLimit(): number | null {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}

/** The connection limits in force, as the open-files check sees them. */
export interface ConnectionLimits {
  maxConnections: number;
  /** Whether `--max-connections` was given (else it was sized from `openFiles`). */
  explicit: boolean;
  maxStartups: number;
}

/**
 * Why the open-files limit is too low for the connection limits, or null when
 * it is not (or unknown). Node already raises its soft limit to the hard one at
 * start, so only the hard limit (systemd's LimitNOFILE, `ulimit -Hn`) can be
 * too low: an explicit `--max-connections` that needs more descriptors than
 * allowed runs out of them (refused accepts, sessions failing to record), and
 * a cap sized below `--max-startups` lets unauthenticated connections alone
 * fill the portal. Pure.
 */
export function openFilesShortfall(openFiles: number | null, limits: ConnectionLimits): string | null {
  if (openFiles === null) return null;
  const needed = reservedFds + fdsPerConnection * limits.maxConnections;
  const raise = 'raise the hard open-files limit (LimitNOFILE= in the systemd unit, `ulimit -Hn` as root, `--ulimit nofile=` in Docker)';
  if (limits.explicit && openFiles < needed) {
    return `open-files limit ${openFiles} is below the ${needed} descriptors --max-connections ${limits.maxConnections} may need (${fdsPerConnection} per connection + ${reservedFds}): ${raise} or lower --max-connections`;
  }
  if (!limits.explicit && limits.maxConnections < limits.maxStartups) {
    return `open-files limit ${openFiles} caps connections at ${limits.maxConnections}, below --max-startups ${limits.maxStartups}: unauthenticated connections alone can fill the portal; ${raise}`;
  }
  return null;
}
