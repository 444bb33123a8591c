import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, type TempDir } from '../../support/keys.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { clientOptions, hopTo, relayOptions, run, sshArgs, sshCommand, startFront, suiteKeys, type Front } from './harness.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('relay: bulk transfers and file tools (scp, sftp, rsync, git)', function () {
  let tmp: TempDir;
  let keys: ReturnType<typeof suiteKeys>;
  let target: SshdTarget;
  let front: Front;
  let big: Buffer;
  let bigPath: string;
  let remoteDir: string;

  before(async function () {
    requireSshd(this);
    tmp = tempDir();
    chmodSync(tmp.path, 0o755);
    keys = suiteKeys(tmp.path);
    target = await startSshd({ authorizedKeys: [keys.portal.publicKey] });
    front = await startFront(keys.front, () => relayOptions({ chain: [hopTo(target, keys.portal)], recording: { mode: 'everything', dir: join(tmp.path, 'rec'), baseName: 's' } }));
    big = randomBytes(64 * 1024 * 1024);
    bigPath = join(tmp.path, 'big.bin');
    writeFileSync(bigPath, big, { mode: 0o644 });
    remoteDir = `relay-test-${process.pid}-${Date.now()}`;
    const r = await run('ssh', sshArgs(front, keys.user, 'web', `mkdir -p ${remoteDir}`));
    expect(r.code).to.equal(0);
  });
  after(async () => {
    if (front && target) await run('ssh', sshArgs(front, keys.user, 'web', `rm -rf ${remoteDir}`));
    await front?.close();
    await target?.stop();
    tmp?.remove();
  });

  it('uploads 64 MiB through stdin intact', async () => {
    const fd = openSync(bigPath, 'r');
    try {
      const r = await run('ssh', sshArgs(front, keys.user, 'web', 'sha256sum'), { stdinFile: fd, timeoutMs: 60_000 });
      expect(r.code).to.equal(0);
      expect(r.stdout.toString().split(' ')[0]).to.equal(sha256(big));
    } finally {
      closeSync(fd);
    }
  });

  it('downloads 64 MiB through stdout intact', async () => {
    const r = await run('ssh', sshArgs(front, keys.user, 'web', `cat ${bigPath}`), { timeoutMs: 60_000 });
    expect(r.code).to.equal(0);
    expect(r.stdout.length).to.equal(big.length);
    expect(sha256(r.stdout)).to.equal(sha256(big));
  });

  for (const mode of [[], ['-O']] as const) {
    it(`scp ${mode.length ? '-O (legacy exec mode)' : '(SFTP mode)'} both ways`, async () => {
      const small = randomBytes(300_000);
      const src = join(tmp.path, `scp-src${mode.length}`);
      const back = join(tmp.path, `scp-back${mode.length}`);
      writeFileSync(src, small);
      const opts = clientOptions(front, keys.user);
      let r = await run('scp', [...mode, ...opts, src, `web@127.0.0.1:${remoteDir}/scp${mode.length}`]);
      expect(r.code, r.stderr).to.equal(0);
      r = await run('scp', [...mode, ...opts, `web@127.0.0.1:${remoteDir}/scp${mode.length}`, back]);
      expect(r.code, r.stderr).to.equal(0);
      expect(sha256(readFileSync(back))).to.equal(sha256(small));
    });
  }

  it('sftp batch: put, ls, get', async () => {
    const src = join(tmp.path, 'sftp-src');
    const back = join(tmp.path, 'sftp-back');
    const data = randomBytes(200_000);
    writeFileSync(src, data);
    const batch = join(tmp.path, 'batch');
    writeFileSync(batch, `cd ${remoteDir}\nput ${src} sftp-file\nls -l sftp-file\nget sftp-file ${back}\n`);
    const r = await run('sftp', ['-b', batch, ...clientOptions(front, keys.user), 'web@127.0.0.1']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.toString()).to.include('sftp-file');
    expect(sha256(readFileSync(back))).to.equal(sha256(data));
  });

  it('rsync a directory and back', async () => {
    const dir = join(tmp.path, 'rs');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'a.txt'), 'alpha\n');
    writeFileSync(join(dir, 'sub', 'b.bin'), randomBytes(100_000));
    let r = await run('rsync', ['-a', '-e', sshCommand(front, keys.user), `${dir}/`, `web@127.0.0.1:${remoteDir}/rs/`]);
    expect(r.code, r.stderr).to.equal(0);
    const back = join(tmp.path, 'rs-back');
    r = await run('rsync', ['-a', '-e', sshCommand(front, keys.user), `web@127.0.0.1:${remoteDir}/rs/`, `${back}/`]);
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(join(back, 'a.txt'), 'utf8')).to.equal('alpha\n');
    expect(sha256(readFileSync(join(back, 'sub', 'b.bin')))).to.equal(sha256(readFileSync(join(dir, 'sub', 'b.bin'))));
  });

  it('git clone and push over ssh', async () => {
    let r = await run('ssh', sshArgs(front, keys.user, 'web', `git init -q --bare ${remoteDir}/repo.git`));
    expect(r.code, r.stderr).to.equal(0);
    const env = { ...process.env, GIT_SSH_COMMAND: sshCommand(front, keys.user), GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
    const url = `ssh://web@127.0.0.1:${front.port}/~/${remoteDir}/repo.git`;
    const work = join(tmp.path, 'work');
    r = await run('git', ['clone', '-q', url, work], { env });
    expect(r.code, r.stderr).to.equal(0);
    writeFileSync(join(work, 'README'), 'hello through the portal\n');
    for (const args of [['add', 'README'], ['commit', '-qm', 'first'], ['push', '-q', 'origin', 'HEAD:refs/heads/main']]) {
      r = await run('git', ['-C', work, ...args], { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
    }
    const again = join(tmp.path, 'again');
    r = await run('git', ['clone', '-q', '-b', 'main', url, again], { env });
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(join(again, 'README'), 'utf8')).to.equal('hello through the portal\n');
    rmSync(work, { recursive: true, force: true });
  });
});
