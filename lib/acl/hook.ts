/**
 * The external ACL hook (`--acl-check-cmd`), as sshportal runs it: the command
 * is executed directly (no shell) with three arguments — the action decided so
 * far, the user as JSON, the host as JSON — and a 2 s timeout. Its trimmed
 * stdout `allow` or `deny` replaces the action; any other output, a non-zero
 * exit, a timeout or a spawn error keeps the prior action (and says why).
 */
import { execFile } from 'node:child_process';
import type { AclAction } from './evaluate.js';

/** Default timeout of the hook, as in sshportal. */
export const ACL_HOOK_TIMEOUT_MS = 2000;

/** Input of {@link runAclHook}. */
export interface AclHookInput {
  /** Path (or PATH-resolved name) of the executable. */
  command: string;
  /** The action decided by the ACLs. */
  action: AclAction;
  /** Serialized as JSON for the second argument. */
  user: unknown;
  /** Serialized as JSON for the third argument. */
  host: unknown;
  timeoutMs?: number;
}

/** Outcome of {@link runAclHook}. */
export interface AclHookResult {
  action: AclAction;
  /** `hook` when the hook's answer was used, `prior` when the prior action stands. */
  source: 'hook' | 'prior';
  /** Why the prior action stands (timeout, error, unexpected output). */
  detail?: string;
}

/** Interprets the hook's stdout (pure). */
export function parseHookOutput(stdout: string): AclAction | undefined {
  const t = stdout.trim();
  return t === 'allow' || t === 'deny' ? t : undefined;
}

/** Runs the hook; never rejects. */
export function runAclHook(input: AclHookInput): Promise<AclHookResult> {
  const args = [input.action, JSON.stringify(input.user), JSON.stringify(input.host)];
  const timeout = input.timeoutMs ?? ACL_HOOK_TIMEOUT_MS;
  return new Promise((resolve) => {
    const prior = (detail: string): void => resolve({ action: input.action, source: 'prior', detail });
    try {
      execFile(input.command, args, { timeout, killSignal: 'SIGKILL', maxBuffer: 64 * 1024, windowsHide: true }, (err, stdout) => {
        if (err) {
          const killed = (err as NodeJS.ErrnoException & { killed?: boolean }).killed === true;
          prior(killed ? `acl hook timed out after ${timeout} ms` : `acl hook failed: ${err.message}`);
          return;
        }
        const answer = parseHookOutput(String(stdout));
        if (answer === undefined) prior(`acl hook printed an unexpected answer: ${JSON.stringify(String(stdout).trim().slice(0, 80))}`);
        else resolve({ action: answer, source: 'hook' });
      });
    } catch (err) {
      prior(`acl hook failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}
