/**
 * Typed errors. Every error that may reach a user carries a stable `code` and a
 * message that is safe to show (no SQL, no stack, no file path). Anything else
 * is an internal error and is shown as a generic line by {@link userMessage}.
 */

/** Stable machine-readable error codes. */
export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'permission_denied'
  | 'conflict'
  | 'config'
  | 'upstream'
  | 'host_key_mismatch'
  | 'database_unavailable'
  | 'database_tls'
  | 'unauthenticated'
  | 'peer_link'
  | 'tunnel_offline'
  | 'internal';

/** Base class of every error whose message may be shown to a user. */
export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad arguments, flags or input. */
export class InvalidArgumentError extends AppError {
  constructor(message: string) { super('invalid_argument', message); }
}

/** A named or numbered entity does not exist. */
export class NotFoundError extends AppError {
  constructor(message: string) { super('not_found', message); }
}

/** A unique name is already taken. */
export class AlreadyExistsError extends AppError {
  constructor(message: string) { super('already_exists', message); }
}

/** The authenticated user may not do this. */
export class PermissionDeniedError extends AppError {
  constructor(message = 'permission denied') { super('permission_denied', message); }
}

/** The state of the data forbids the operation (e.g. deleting a key in use). */
export class ConflictError extends AppError {
  constructor(message: string) { super('conflict', message); }
}

/** Invalid server configuration (flags, env vars); exits with code 2. */
export class ConfigError extends AppError {
  constructor(message: string) { super('config', message); }
}

/** The target host or a hop could not be reached or refused us. */
export class UpstreamError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) { super('upstream', message, options); }
}

/** A target presented a host key different from the pinned one. */
export class HostKeyMismatchError extends AppError {
  readonly host: string;
  readonly expected: string;
  readonly actual: string;
  constructor(host: string, expected: string, actual: string) {
    super(
      'host_key_mismatch',
      `host key mismatch for host '${host}': expected ${expected}, got ${actual}; ` +
        `if the change is legitimate, an admin can reset it with 'host update --unset-host-key ${host}'`,
    );
    this.host = host;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The database cannot be reached right now. */
export class DatabaseUnavailableError extends AppError {
  constructor(options?: { cause?: unknown }) { super('database_unavailable', 'database unavailable, try again later', options); }
}

/** The database connection could not be made with the TLS that --db-conn asks for (no plaintext fallback). */
export class DatabaseTlsError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) { super('database_tls', message, options); }
}

/** Another portal node could not be reached over the node link, or did not answer in time. */
export class PeerLinkError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) { super('peer_link', message, options); }
}

/**
 * The one function that decides what text of an error reaches a user.
 * AppErrors show their message; anything else is an internal error.
 */
export function userMessage(err: unknown): string {
  if (err instanceof AppError) return err.message;
  return 'internal error';
}

/** A tunnel host has no connector online (on any node): the session cannot be relayed. */
export class TunnelOfflineError extends AppError {
  constructor(host: string) { super('tunnel_offline', `${host} is a tunnel host and no connector is online`); }
}

/** A tunnel host already has its most connectors online: a refusal that is not the connector's fault (never throttled). */
export class TunnelFullError extends ConflictError {}

/** Wraps a thrown value into an Error, for logging. */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Longest piece of input an error message quotes, in characters. */
export const MAX_QUOTED_CHARS = 64;

/**
 * A piece of input as an error message quotes it: in single quotes, cut at
 * {@link MAX_QUOTED_CHARS} with `…` (a refused value may be a megabyte of a
 * pasted backup), control characters escaped (the line is printed on the
 * admin's terminal, which an escape sequence would drive).
 */
export function quoted(value: string): string {
  const cut = value.length > MAX_QUOTED_CHARS;
  let text = cut ? value.slice(0, MAX_QUOTED_CHARS) : value;
  const last = text.charCodeAt(text.length - 1);
  if (cut && last >= 0xd800 && last <= 0xdbff) text = text.slice(0, -1);
  text = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `'${text}${cut ? '…' : ''}'`;
}
