import { InvalidArgumentError } from '../../errors.js';

/** ACL actions. */
const aclActions = ['allow', 'deny'] as const;
/** One ACL action. */
export type AclAction = (typeof aclActions)[number];

/** Checks an `--action` value. Pure. */
export function parseAction(text: string): AclAction {
  const found = aclActions.find((a) => a === text);
  if (!found) throw new InvalidArgumentError(`invalid action '${text}': expected allow or deny`);
  return found;
}

/** Checks a `--weight` value: a whole number from 0 to 2^31-1 (sshportal's weights are unsigned). Pure. */
export function parseWeight(text: string): number {
  if (!/^\d{1,10}$/.test(text.trim()) || Number(text) > 2147483647) {
    throw new InvalidArgumentError(`invalid weight '${text}': expected a whole number from 0 to 2147483647`);
  }
  return Number(text);
}

const localDate = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Parses an ACL `--inception`/`--expiration` date: sshportal's `YYYY-MM-DD HH:MM`
 * (taken as UTC: the portal's clock zone is not the operator's), with optional
 * seconds, or any ISO 8601 date-time with a zone (`2024-01-01T10:00:00+02:00`). Pure.
 */
export function parseDateTime(text: string): Date {
  const t = text.trim();
  const m = localDate.exec(t);
  let date: Date;
  if (m) {
    const [y, mo, d, h, mi, s] = m.slice(1).map((v: string | undefined) => Number(v ?? 0)) as [number, number, number, number, number, number];
    date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) date = new Date(NaN);
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    date = new Date(t);
  } else {
    date = new Date(NaN);
  }
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError(`invalid date '${text}': expected 'YYYY-MM-DD HH:MM' (UTC) or an ISO 8601 date-time`);
  return date;
}

const namePattern = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Checks the name of a host, group, key or user: letters, digits, `.`, `_`, `-`,
 * not only digits (digits are read as an id), at most 255 characters. Pure.
 */
export function checkName(name: string, what: string): string {
  if (name.length === 0 || name.length > 255 || !namePattern.test(name) || /^\d+$/.test(name)) {
    throw new InvalidArgumentError(`invalid ${what} name '${name}': use letters, digits, '.', '_' or '-', not only digits, at most 255 characters`);
  }
  return name;
}

/** Checks an email address (one `@`, no blanks). Pure. */
export function checkEmail(email: string): string {
  if (email.length > 255 || !/^[^\s@]+@[^\s@]+$/.test(email)) throw new InvalidArgumentError(`invalid email '${email}'`);
  return email;
}

/** Checks a comment: at most 1024 characters. Pure. */
export function checkComment(comment: string): string {
  if (comment.length > 1024) throw new InvalidArgumentError('invalid comment: at most 1024 characters');
  return comment;
}
