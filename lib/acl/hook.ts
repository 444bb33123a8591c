/**
 * The external ACL hook (`--acl-check-cmd`), as sshportal runs it: the command
 * is executed directly (no shell) with three arguments — the action decided so
 * far, the user as JSON, the host as JSON — and a 2 s timeout. Its trimmed
 * stdout `allow` or `deny` replaces the action; any other output, a non-zero
 * exit, a timeout or a spawn error keeps the prior action (and says why).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { AclAction } from './evaluate.js';

/** Default timeout of the hook, as in sshportal. */
const ACL_HOOK_TIMEOUT_MS = 2000;

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

/** Most output the hook may print; more is a failure. */
const MAX_OUTPUT = 64 * 1024;

/**
 * The hook's environment: the portal's, without its own settings. SECURITY.md
 * tells operators to pass secrets as SSHPORTAL_* variables (the AES keys, the
 * database URL with its password, the admin invite token): the hook, an
 * external program, gets none of them.
 */
export function hookEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.toUpperCase().startsWith('SSHPORTAL_')));
}

/**
 * Runs the hook; never rejects. The hook runs in its own process group so a
 * timeout kills it and anything it started, and the answer never waits for
 * a straggler holding its stdout open.
 */
export function runAclHook(input: AclHookInput): Promise<AclHookResult> {
  const args = [input.action, JSON.stringify(input.user), JSON.stringify(input.host)];
  const timeout = input.timeoutMs ?? ACL_HOOK_TIMEOUT_MS;
  return new Promise((resolve) => {
    let done = false;
    let stdout = '';
    let child: ChildProcess | undefined;
    const killGroup = (): void => {
      try { if (child?.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    };
    // Started before the spawn: a spawn that throws at once (E2BIG for a user with a huge JSON, ENOMEM,
    // ETXTBSY) finished while the timer was still in its temporal dead zone, and this promise rejected.
    const timer = setTimeout(() => { killGroup(); prior(`acl hook timed out after ${timeout} ms`); }, timeout);
    const finish = (r: AclHookResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const prior = (detail: string): void => finish({ action: input.action, source: 'prior', detail });
    try {
      child = spawn(input.command, args, { stdio: ['ignore', 'pipe', 'ignore'], detached: true, windowsHide: true, env: hookEnvironment(process.env) });
    } catch (err) {
      prior(`acl hook failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => {
      stdout += s;
      if (stdout.length > MAX_OUTPUT) { killGroup(); prior('acl hook printed too much'); }
    });
    child.once('error', (err) => prior(`acl hook failed: ${err.message}`));
    child.once('exit', (code, signal) => {
      if (code !== 0) { prior(`acl hook failed: exit ${code ?? signal}`); return; }
      // stdout may still hold buffered data: wait for it to end, bounded by the timer.
      const decide = (): void => {
        const answer = parseHookOutput(stdout);
        if (answer === undefined) prior(`acl hook printed an unexpected answer: ${JSON.stringify(stdout.trim().slice(0, 80))}`);
        else finish({ action: answer, source: 'hook' });
      };
      if (!child.stdout || child.stdout.readableEnded) decide();
      else child.stdout.once('end', decide);
    });
  });
}
