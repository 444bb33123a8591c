/**
 * What `config restore` lends lib/db's backup validation: the ACL policy
 * vocabulary and host patterns (lib/acl, through the shell's rule) and the
 * host-URL parser (lib/routing), which lib/db may not import.
 */
import { normalizeForward, parseYesNo, POLICY_DEFAULTS, POLICY_FLAGS } from '../acl/policy.js';
import type { BackupChecks } from '../db/backup/plan.js';
import { InvalidArgumentError, quoted } from '../errors.js';
import { isTunnelUrl, parseHostUrl, parseTunnelUrl } from '../routing/host-url.js';
import { checkPattern } from './parse/acl-rules.js';

/** The checks of every restore. */
export const backupChecks: BackupChecks = {
  policyFlags: POLICY_FLAGS,
  policyDefaults: POLICY_DEFAULTS,
  policyValue: (key, flag, value) => (key === 'localForward' || key === 'remoteForward' ? normalizeForward(flag, value) : parseYesNo(flag, value)),
  // A tunnel host's URL (`tunnel://USER@NAME`) is read as `host create --tunnel` wrote it: it keeps the host a tunnel host.
  hostUrl: (url) => (isTunnelUrl(url) ? parseTunnelUrl(url) : parseHostUrl(url)),
  hostPattern: (pattern) => {
    try {
      return checkPattern(pattern);
    } catch {
      // checkPattern quotes the whole pattern: a restore's may be a megabyte.
      throw new InvalidArgumentError(`invalid pattern ${quoted(pattern)}: comma-separated globs on host names, without blanks, at most 255 characters, not only negations`);
    }
  },
};
