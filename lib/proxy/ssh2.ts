/**
 * The one place lib/proxy imports ssh2's runtime values. ssh2 is CommonJS and
 * its named exports are not statically detectable, so ESM code must go
 * through the default export.
 */
import ssh2 from 'ssh2';
// Upstream clients ignore sshd's host-key announcements (see the module).
import '../ssh/host-key-announcements.js';

/** ssh2's client class. */
export const SshClient = ssh2.Client;
/** ssh2's agent base class (for the downstream-agent bridge). */
export const SshBaseAgent = ssh2.BaseAgent;
