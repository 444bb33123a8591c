/**
 * What `config restore` lends lib/db's backup validation: the ACL policy
 * vocabulary (lib/acl) and the host-URL parser (lib/routing), which lib/db
 * may not import.
 */
import { normalizeForward, parseYesNo, POLICY_DEFAULTS, POLICY_FLAGS } from '../acl/policy.js';
import type { BackupChecks } from '../db/backup/plan.js';
import { isTunnelUrl, parseHostUrl, parseTunnelUrl } from '../routing/host-url.js';

/** The checks of every restore. */
export const backupChecks: BackupChecks = {
  policyFlags: POLICY_FLAGS,
  policyDefaults: POLICY_DEFAULTS,
  policyValue: (key, flag, value) => (key === 'localForward' || key === 'remoteForward' ? normalizeForward(flag, value) : parseYesNo(flag, value)),
  // A tunnel host's URL (`tunnel://USER@NAME`) is read as `host create --tunnel` wrote it: it keeps the host a tunnel host.
  hostUrl: (url) => (isTunnelUrl(url) ? parseTunnelUrl(url) : parseHostUrl(url)),
};
