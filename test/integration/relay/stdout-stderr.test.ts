import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBenchProcess, type BenchProcess } from '../../../bench/child.js';
import { timed } from '../../../bench/measure.js';
import { sshOpts } from '../../../bench/uploads.js';
import { generateKey, tempDir, type TempDir } from '../../support/keys.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';

const MIB3 = 3 * 1024 * 1024;

/**
 * A command that writes more than the user's window to stdout, then to stderr,
 * for a user who reads slowly: ssh2 resumed the stderr write that waited for
 * the user's window by sending an old stdout chunk again (or not at all), and
 * the session hung (lib/ssh/pending-writes.ts). Real portal, real sshd, real
 * OpenSSH; the user's stdout and stderr are read one second late.
 */
describe('relay: stdout and stderr both past the user\'s window reach a slow reader whole', function () {
  this.timeout(90_000);
  let tmp: TempDir;
  let target: SshdTarget;
  let portal: BenchProcess;
  let ssh: string;

  before(async function () {
    requireSshd(this);
    tmp = tempDir('sshportal-split-');
    const user = generateKey(join(tmp.path, 'user'));
    const portalKey = generateKey(join(tmp.path, 'portal'));
    target = await startSshd({ authorizedKeys: [user.publicKey, portalKey.publicKey] });
    const inviteToken = randomBytes(12).toString('hex');
    portal = await startBenchProcess('portal.ts', { dir: tmp.path, inviteToken, portalKey, target: { host: target.host, port: target.port, user: target.user } });
    ssh = `ssh ${sshOpts(user.path).join(' ')} -p ${portal.port}`;
    await timed(`${ssh} invite:${inviteToken}@127.0.0.1`);
  });
  after(async () => {
    await portal?.stop();
    await target?.stop();
    tmp?.remove();
  });

  for (let i = 1; i <= 3; i++) {
    it(`3 MiB of stdout then 3 MiB of stderr, stdout read a second late (run ${i})`, async () => {
      const remote = `head -c ${MIB3} /dev/zero | tr '\\0' o; head -c ${MIB3} /dev/zero | tr '\\0' e >&2`;
      const out = join(tmp.path, `out-${i}`);
      const err = join(tmp.path, `err-${i}`);
      // ssh stops taking the channel's data while its stdout is not read: both streams then wait for the window.
      await new Promise<void>((resolve, reject) => {
        execFile('/bin/bash', ['-c', `${ssh} web@127.0.0.1 "${remote}" 2>${err} | (sleep 1; cat > ${out})`], { timeout: 30_000 }, (e) => (e ? reject(new Error(e.message)) : resolve()));
      });
      const only = (file: string, letter: string): { bytes: number; other: number } => {
        const b = readFileSync(file);
        return { bytes: b.length, other: b.filter((c) => c !== letter.charCodeAt(0)).length };
      };
      expect({ stdout: only(out, 'o'), stderr: only(err, 'e') }).to.deep.equal({ stdout: { bytes: MIB3, other: 0 }, stderr: { bytes: MIB3, other: 0 } });
    });
  }
});
