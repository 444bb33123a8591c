/**
 * The real portal in its own process (bench/portal.ts: SQLite, recording on)
 * in front of one real sshd target (host `web`), with one user key enrolled
 * through the admin invite (so the user is the admin, and may open
 * `admin@portal` for `event ls`): what the security tests that attack a
 * relayed connection start from.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { startBenchProcess, type BenchProcess } from '../../bench/child.js';
import { timed } from '../../bench/measure.js';
import { sshOpts } from '../../bench/uploads.js';
import { generateKey, tempDir, type TempDir, type TestKey } from './keys.js';
import { startSshd, type SshdTarget } from './sshd.js';

/** A started portal, its target and the enrolled user. */
export interface PortalRig {
  tmp: TempDir;
  user: TestKey;
  target: SshdTarget;
  portal: BenchProcess;
  stop(): Promise<void>;
}

/** Starts the rig; `extra` goes to bench/portal.ts as is (`flags`, `stallLimits`). */
export async function startPortalRig(prefix: string, extra: Record<string, unknown> = {}): Promise<PortalRig> {
  const tmp = tempDir(prefix);
  const user = generateKey(join(tmp.path, 'user'));
  const portalKey = generateKey(join(tmp.path, 'portal'));
  const target = await startSshd({ authorizedKeys: [user.publicKey, portalKey.publicKey] });
  const inviteToken = randomBytes(12).toString('hex');
  const portal = await startBenchProcess('portal.ts', { dir: tmp.path, inviteToken, portalKey, target: { host: target.host, port: target.port, user: target.user }, ...extra });
  await timed(`ssh ${sshOpts(user.path).join(' ')} -p ${portal.port} invite:${inviteToken}@127.0.0.1`);
  return {
    tmp, user, target, portal,
    stop: async () => {
      await portal.stop();
      await target.stop();
      tmp.remove();
    },
  };
}

/** An ssh2 client logged in to the portal as `username` (default: the host `web`). */
export function connectSsh2(port: number, key: TestKey, username = 'web'): Promise<ssh2.Client> {
  const client = new ssh2.Client();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port, username, privateKey: key.privateKey });
  });
}
