import { hasPositiveEntry, parsePatternList } from '../../acl/glob.js';
import { InvalidArgumentError } from '../../errors.js';

/**
 * Checks an ACL host pattern list (comma-separated ssh_config globs, `!`
 * negates); empty = none. A list of negations only could never match: refused. Pure.
 */
export function checkPattern(pattern: string): string {
  if (pattern.length > 255 || /[\s\u0000-\u001f]/.test(pattern)) throw new InvalidArgumentError(`invalid pattern '${pattern}': comma-separated globs on host names, without blanks, at most 255 characters`);
  if (pattern !== '' && !hasPositiveEntry(parsePatternList(pattern))) {
    throw new InvalidArgumentError(`invalid pattern '${pattern}': a pattern needs at least one entry that is not a negation (e.g. '*,${pattern}')`);
  }
  return pattern;
}

/** The rules every ACL obeys (sshportal's): a user group, and a host group or a pattern; a window that is not empty. Pure. */
export function checkAclShape(a: { userGroups: number; hostGroups: number; hostPattern: string; inception: Date | null; expiration: Date | null }): void {
  if (a.userGroups === 0) throw new InvalidArgumentError('an ACL must have at least one user group');
  if (a.hostGroups === 0 && a.hostPattern === '') throw new InvalidArgumentError('an ACL must have at least one host group or host pattern');
  if (a.inception && a.expiration && a.inception.getTime() >= a.expiration.getTime()) throw new InvalidArgumentError('the inception must be before the expiration');
}

/** `YYYY-MM-DD HH:MM UTC`, how `acl ls` shows validity dates. Pure. */
export function formatWindowDate(d: Date | null): string {
  return d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';
}

