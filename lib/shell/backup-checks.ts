/**
 * What `config restore` lends lib/db's backup validation: the ACL policy
 * vocabulary (lib/acl) and the host-URL parser (lib/routing), which lib/db
 * may not import.
 */
import { normalizeForward, parseYesNo, POLICY_DEFAULTS, POLICY_FLAGS } from '../acl/policy.js';
import type { BackupChecks } from '../db/backup/plan.js';
import { parseHostUrl } from '../routing/host-url.js';

/** The checks of every restore. */
export const backupChecks: BackupChecks = {
  policyFlags: POLICY_FLAGS,
  policyDefaults: POLICY_DEFAULTS,
  policyValue: (key, flag, value) => (key === 'localForward' || key === 'remoteForward' ? normalizeForward(flag, value) : parseYesNo(flag, value)),
  hostUrl: (url) => parseHostUrl(url),
};
