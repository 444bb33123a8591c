import { expect } from 'chai';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hookEnvironment, parseHookOutput, runAclHook } from '../../../lib/acl/hook.js';
import { tempDir, type TempDir } from '../../support/keys.js';

describe('acl/hook (--acl-check-cmd)', () => {
  let tmp: TempDir;
  const script = (name: string, body: string): string => {
    const path = join(tmp.path, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  before(() => { tmp = tempDir(); });
  after(() => tmp.remove());

  const outputs: Array<[string, 'allow' | 'deny' | undefined]> = [
    ['allow', 'allow'], ['deny\n', 'deny'], ['  allow  \n', 'allow'], ['Allow', undefined], ['yes', undefined], ['', undefined], ['allow\ndeny', undefined],
  ];
  for (const [out, expected] of outputs) {
    it(`parses ${JSON.stringify(out)} as ${String(expected)}`, () => expect(parseHookOutput(out)).to.equal(expected));
  }

  it('replaces the action with the hook answer and passes action, user JSON, host JSON', async () => {
    const out = join(tmp.path, 'args.txt');
    const cmd = script('deny.sh', `printf '%s\\n' "$1" "$2" "$3" > '${out}'; echo deny`);
    const r = await runAclHook({ command: cmd, action: 'allow', user: { name: 'bob' }, host: { name: 'web01' } });
    expect(r).to.deep.equal({ action: 'deny', source: 'hook' });
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(out, 'utf8')).to.equal('allow\n{"name":"bob"}\n{"name":"web01"}\n');
  });

  it('does not go through a shell (metacharacters stay literal)', async () => {
    const cmd = script('echo-arg.sh', 'case "$2" in *\'$(\'*) echo allow;; *) echo deny;; esac');
    const r = await runAclHook({ command: cmd, action: 'deny', user: { name: '$(touch /tmp/pwned)' }, host: {} });
    expect(r.action).to.equal('allow');
  });

  it('keeps the prior action on unexpected output', async () => {
    const r = await runAclHook({ command: script('maybe.sh', 'echo maybe'), action: 'allow', user: {}, host: {} });
    expect(r.action).to.equal('allow');
    expect(r.source).to.equal('prior');
    expect(r.detail).to.match(/unexpected answer/);
  });

  it('keeps the prior action on a non-zero exit', async () => {
    const r = await runAclHook({ command: script('fail.sh', 'echo deny; exit 2'), action: 'allow', user: {}, host: {} });
    expect(r).to.include({ action: 'allow', source: 'prior' });
  });

  it('keeps the prior action when the command does not exist', async () => {
    const r = await runAclHook({ command: join(tmp.path, 'missing'), action: 'deny', user: {}, host: {} });
    expect(r).to.include({ action: 'deny', source: 'prior' });
  });

  it('keeps the prior action on timeout', async () => {
    const started = Date.now();
    const r = await runAclHook({ command: script('slow.sh', 'sleep 5; echo allow'), action: 'deny', user: {}, host: {}, timeoutMs: 200 });
    expect(r).to.include({ action: 'deny', source: 'prior' });
    expect(r.detail).to.match(/timed out/);
    expect(Date.now() - started).to.be.below(1500);
  });

  it('keeps the prior action when the system refuses to start it (E2BIG): it rejected, and the sweep died with it', async () => {
    // One argument over Linux's 128 KiB per-argument limit: spawn throws at once.
    const r = await runAclHook({ command: script('never.sh', 'echo allow'), action: 'deny', user: { name: 'x'.repeat(200_000) }, host: {} });
    expect(r).to.include({ action: 'deny', source: 'prior' });
    expect(r.detail).to.match(/acl hook failed/);
  });

  it('gives the hook none of the portal\'s own SSHPORTAL_* settings (secrets), and the rest of its environment', async () => {
    const out = join(tmp.path, 'env.txt');
    const saved = { ...process.env };
    Object.assign(process.env, { SSHPORTAL_AES_KEY: 'secret-aes-key-123', SSHPORTAL_DATABASE_URL: 'root:pw@tcp(db)/x', HOOK_TEST_VISIBLE: 'yes' });
    try {
      const r = await runAclHook({ command: script('env.sh', `env > '${out}'; echo allow`), action: 'deny', user: {}, host: {} });
      expect(r.action).to.equal('allow');
    } finally {
      for (const k of ['SSHPORTAL_AES_KEY', 'SSHPORTAL_DATABASE_URL', 'HOOK_TEST_VISIBLE']) if (!(k in saved)) Reflect.deleteProperty(process.env, k);
    }
    const { readFileSync } = await import('node:fs');
    const env = readFileSync(out, 'utf8');
    expect(env).to.match(/^HOOK_TEST_VISIBLE=yes$/m).and.match(/^PATH=/m);
    expect(env).not.to.match(/SSHPORTAL_|secret-aes-key/);
  });

  const envs: [string, Record<string, string>, string[]][] = [
    ['drops the portal\'s settings', { SSHPORTAL_AES_KEY: 'k', sshportal_db: 'x', PATH: '/bin', HOME: '/root' }, ['HOME', 'PATH']],
    ['keeps an empty environment empty', {}, []],
  ];
  for (const [name, env, keep] of envs) it(`hookEnvironment ${name}`, () => expect(Object.keys(hookEnvironment(env)).sort()).to.deep.equal(keep));
});

