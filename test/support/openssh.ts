import type { RunOptions, RunResult } from './process.js';
import { runProcess } from './process.js';

/**
 * Options that make the OpenSSH clients deterministic in tests (no config, no known_hosts, no prompts).
 * The port is an `-o` option so the same list serves ssh, scp and sftp.
 */
export function sshOptions(port: number, keyPath: string | null): string[] {
  const opts = ['-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=10', '-o', `Port=${port}`];
  return keyPath ? [...opts, '-o', 'IdentitiesOnly=yes', '-i', keyPath] : [...opts, '-o', 'PubkeyAuthentication=no'];
}

/**
 * Runs the real `ssh` client against 127.0.0.1:port as `login`, with `args` as the remote command.
 * `extra` options come first: for OpenSSH the first value given wins.
 */
export function ssh(port: number, keyPath: string | null, login: string, args: string[], opts: RunOptions & { extra?: string[] } = {}): Promise<RunResult> {
  return runProcess('ssh', [...(opts.extra ?? []), ...sshOptions(port, keyPath), `${login}@127.0.0.1`, ...args], opts);
}
