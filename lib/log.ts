/**
 * Structured logger: human-readable text by default (`<time> <level> <msg> k=v`),
 * or one JSON object per line. Child loggers carry bindings such as a
 * connection id. Never pass secrets as fields; wrap them in {@link Secret}.
 */

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Output formats. */
export type LogFormat = 'text' | 'json';
/** Structured fields attached to a line. */
export type LogFields = Record<string, unknown>;

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A value that must never be printed: it renders as `[redacted]`. */
export class Secret<T = string> {
  readonly #value: T;
  constructor(value: T) { this.#value = value; }
  /** The wrapped value; call only where the secret is used. */
  reveal(): T { return this.#value; }
  toString(): string { return '[redacted]'; }
  toJSON(): string { return '[redacted]'; }
  [Symbol.for('nodejs.util.inspect.custom')](): string { return '[redacted]'; }
}

/** Where log lines go; defaults to stderr. */
export type LogSink = (line: string) => void;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  sink?: LogSink;
  now?: () => Date;
}

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry `bindings`. */
  child(bindings: LogFields): Logger;
  /** Whether debug lines are written. */
  readonly debugEnabled: boolean;
}

function renderValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  if (v instanceof Secret) return '[redacted]';
  // undefined, functions and symbols have no JSON form, whatever the typings say.
  const json = JSON.stringify(v) as string | undefined;
  return json ?? String(v);
}

function jsonValue(v: unknown): unknown {
  if (v instanceof Error) return v.message;
  return v;
}

/** Formats one line; pure, exported for tests. */
export function formatLine(format: LogFormat, time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  if (format === 'json') {
    const obj: Record<string, unknown> = { time: time.toISOString(), level, msg };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) obj[k] = jsonValue(v);
    return JSON.stringify(obj);
  }
  const parts = [time.toISOString(), level, msg];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${renderValue(v)}`);
  return parts.join(' ');
}

/** What a logger and all its children share. */
interface LoggerConfig { level: LogLevel; format: LogFormat; sink: LogSink; now: () => Date }

/**
 * Methods on the prototype, not closures: every connection has its child
 * logger, and closures per child cost memory per connection (issue 13).
 */
class StructuredLogger implements Logger {
  readonly #cfg: LoggerConfig;
  readonly #bindings: LogFields;

  constructor(cfg: LoggerConfig, bindings: LogFields) {
    this.#cfg = cfg;
    this.#bindings = bindings;
  }

  get debugEnabled(): boolean { return order.debug >= order[this.#cfg.level]; }

  debug(msg: string, fields?: LogFields): void { this.#write('debug', msg, fields); }
  info(msg: string, fields?: LogFields): void { this.#write('info', msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.#write('warn', msg, fields); }
  error(msg: string, fields?: LogFields): void { this.#write('error', msg, fields); }
  child(bindings: LogFields): Logger { return new StructuredLogger(this.#cfg, { ...this.#bindings, ...bindings }); }

  #write(lvl: LogLevel, msg: string, fields?: LogFields): void {
    const cfg = this.#cfg;
    if (order[lvl] < order[cfg.level]) return;
    cfg.sink(formatLine(cfg.format, cfg.now(), lvl, msg, { ...this.#bindings, ...fields }));
  }
}

/** Creates a logger. */
export function createLogger(opts: LoggerOptions = {}, bindings: LogFields = {}): Logger {
  return new StructuredLogger({
    level: opts.level ?? 'info',
    format: opts.format ?? 'text',
    sink: opts.sink ?? ((line: string) => process.stderr.write(line + '\n')),
    now: opts.now ?? (() => new Date()),
  }, bindings);
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger({ sink: () => undefined });
