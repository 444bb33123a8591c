/**
 * Starts real OpenSSH `sshd` targets for tests: `/usr/sbin/sshd -D -e -f <tmp
 * config>` on 127.0.0.1 with a free port, temp host key, keys-only login as a
 * plain account without shell start-up noise. One owner: `stop()` ends the
 * daemon and its per-connection children (its process group).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { generateKey, keyTypeAndData, tempDir, type TempDir } from './keys.js';

/** Path of the OpenSSH daemon. */
export const SSHD_PATH = '/usr/sbin/sshd';
/** The plain account tests log into on targets. */
const TARGET_USER = 'sshportal-target';

/** A running sshd. */
export interface SshdTarget {
  host: string;
  port: number;
  /** Account to log in as. */
  user: string;
  /** Its home directory. */
  home: string;
  /** The daemon's host key, `type base64`. */
  hostKey: string;
  /** Temp dir of this daemon (readable by the target user). */
  dir: string;
  /** Everything sshd wrote to stderr so far. */
  logs(): string;
  stop(): Promise<void>;
}

/** Options of {@link startSshd}. */
export interface SshdOptions {
  /** Public key lines allowed to log in. */
  authorizedKeys: string[];
  /** Extra `sshd_config` lines. */
  extraConfig?: string[];
}

/** Whether sshd can be used here. */
export function sshdAvailable(): boolean {
  return existsSync(SSHD_PATH);
}

/** Skips the suite (loudly) when sshd is missing; fails under CI. */
export function requireSshd(ctx: Mocha.Context): void {
  if (sshdAvailable()) return;
  if (process.env.CI === 'true') throw new Error(`${SSHD_PATH} is missing; CI must install openssh-server`);
  console.warn(`\n*** SKIPPING: ${SSHD_PATH} not found; install openssh-server to run the relay tests ***\n`);
  ctx.skip();
}

function accountHome(name: string): string | undefined {
  try {
    return execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':')[5];
  } catch {
    return undefined;
  }
}

/** Ensures the plain target account exists (root) or falls back to the current user. */
function ensureTargetUser(): { name: string; home: string } {
  const me = userInfo();
  if (me.uid !== 0) return { name: me.username, home: me.homedir };
  let home = accountHome(TARGET_USER);
  if (home === undefined) {
    execFileSync('useradd', ['-m', '-s', '/bin/sh', TARGET_USER], { stdio: 'ignore' });
    home = accountHome(TARGET_USER) ?? `/home/${TARGET_USER}`;
  }
  // An unlocked password field ('*' = no password, but not locked), as UsePAM no requires.
  execFileSync('usermod', ['-p', '*', TARGET_USER], { stdio: 'ignore' });
  for (const rc of ['.profile', '.bashrc', '.bash_logout']) rmSync(join(home, rc), { force: true });
  return { name: TARGET_USER, home };
}

/** A TCP port free on 127.0.0.1 right now (for daemons that cannot listen on port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function config(dir: string, port: number, user: string, extra: string[]): string {
  // sshd keeps the first value of an option: extra lines go first so they win.
  return [
    ...extra,
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    'PidFile none',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `AllowUsers ${user}`,
    'AllowTcpForwarding yes',
    'AllowStreamLocalForwarding yes',
    'AllowAgentForwarding yes',
    'X11Forwarding yes',
    'X11UseLocalhost yes',
    'PermitTTY yes',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'AcceptEnv LANG LC_* SSHPORTAL_*',
    'Subsystem sftp internal-sftp',
    'MaxSessions 100',
    'MaxStartups 300',
    'LogLevel INFO',
  ].join('\n') + '\n';
}

function launch(cfgPath: string): { child: ChildProcess; ready: Promise<boolean>; logs: () => string } {
  const child = spawn(SSHD_PATH, ['-D', '-e', '-f', cfgPath], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let logs = '';
  const ready = new Promise<boolean>((resolve) => {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      logs += s;
      if (logs.includes('Server listening on')) resolve(true);
    });
    child.once('exit', () => resolve(false));
    child.once('error', () => resolve(false));
  });
  return { child, ready, logs: () => logs };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    try { process.kill(-(child.pid as number), 'SIGTERM'); } catch { child.kill('SIGTERM'); }
  });
}

/** Starts one sshd; retries with another port if binding fails. */
export async function startSshd(opts: SshdOptions): Promise<SshdTarget> {
  const account = ensureTargetUser();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const tmp: TempDir = tempDir('sshportal-sshd-');
  chmodSync(tmp.path, 0o755);
  const hostKey = generateKey(join(tmp.path, 'host_ed25519'), 'sshd-host');
  const authorized = join(tmp.path, 'authorized_keys');
  writeFileSync(authorized, opts.authorizedKeys.map((k) => k.trim()).join('\n') + '\n', { mode: 0o644 });
  chmodSync(authorized, 0o644);
  let lastLogs = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const cfgPath = join(tmp.path, 'sshd_config');
    writeFileSync(cfgPath, config(tmp.path, port, account.name, opts.extraConfig ?? []));
    const { child, ready, logs } = launch(cfgPath);
    if (await ready) {
      return {
        host: '127.0.0.1',
        port,
        user: account.name,
        home: account.home,
        hostKey: keyTypeAndData(readFileSync(`${hostKey.path}.pub`, 'utf8')),
        dir: tmp.path,
        logs,
        stop: async () => {
          await stopChild(child);
          tmp.remove();
        },
      };
    }
    lastLogs = logs();
    await stopChild(child);
  }
  tmp.remove();
  throw new Error(`sshd failed to start: ${lastLogs}`);
}
