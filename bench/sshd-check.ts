/** Fails the benchmark early, with a clear message, when sshd is missing. */
import { SSHD_PATH, sshdAvailable } from '../test/support/sshd.js';

/** Exits with status 2 when the OpenSSH daemon is not installed. */
export function requireSshdForBench(): void {
  if (sshdAvailable()) return;
  console.error(`the benchmark needs ${SSHD_PATH} (openssh-server)`);
  process.exit(2);
}
