/**
 * Retrying transactions the database chose to abort. InnoDB rolls back one of
 * two transactions that wait on each other (deadlock) and gives up on a row
 * lock after innodb_lock_wait_timeout; SQLite answers BUSY when another
 * process holds the write lock past the busy timeout. In each case nothing of
 * the transaction was kept, so running it again is safe and usually succeeds.
 */

/** MySQL/MariaDB error numbers worth a retry: ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK. */
const retryableErrnos = new Set([1205, 1213]);
const retryableCodes = new Set(['ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_LOCKED']);

/**
 * Whether a driver error (or typeorm's QueryFailedError around one) means
 * "the transaction was aborted by lock contention; run it again". Pure.
 */
export function isRetryableDbError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const { code, errno, driverError } = e as { code?: unknown; errno?: unknown; driverError?: unknown };
    if (typeof code === 'string' && retryableCodes.has(code)) return true;
    if (typeof errno === 'number' && retryableErrnos.has(errno)) return true;
    if (driverError === e) break;
    e = driverError;
  }
  return false;
}

/** How {@link withDbRetry} retries. */
export interface RetryOptions {
  /** Attempts in total, the first included (default 5). */
  attempts?: number;
  /** Base delay before the second attempt; doubles each time, with jitter (default 20 ms). */
  baseDelayMs?: number;
  /** Which errors deserve another attempt (default {@link isRetryableDbError}). */
  retryable?: (err: unknown) => boolean;
  /** Waits (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  /** Told about each retry (logging). */
  onRetry?: (err: unknown, attempt: number) => void;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The delay before attempt `attempt + 1`: exponential with full jitter in its upper half. */
export function retryDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = baseMs * 2 ** (attempt - 1);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs `fn` (one whole transaction) and runs it again when it fails with a
 * retryable error, up to `attempts` times; the last error is rethrown as is.
 * Jitter keeps two transactions that just deadlocked from colliding again.
 */
export async function withDbRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const retryable = opts.retryable ?? isRetryableDbError;
  const sleep = opts.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err;
      opts.onRetry?.(err, attempt);
      await sleep(retryDelay(attempt, opts.baseDelayMs ?? 20));
    }
  }
}
