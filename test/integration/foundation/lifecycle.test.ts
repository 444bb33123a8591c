import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { App } from '../../../lib/app.js';
import { MALLOC_TUNING } from '../../../lib/server/malloc.js';
import { SshKey, User, Acl } from '../../../lib/db/entities/index.js';
import { drivers, freshDb, type TestDb } from '../../support/databases.js';
import { Calls } from '../../support/must-call.js';
import { runProcess } from '../../support/process.js';
import { startApp } from '../../support/portal.js';
import { tempDir } from '../../support/tmp.js';

/** The host key a portal presents, as OpenSSH's ssh-keyscan sees it. */
async function scanHostKey(port: number): Promise<string> {
  const r = await runProcess('ssh-keyscan', ['-t', 'ed25519', '-p', String(port), '127.0.0.1']);
  const line = r.stdout.split('\n').find((l) => l.includes('ssh-ed25519'));
  if (!line) throw new Error(`ssh-keyscan found no key: ${r.stderr}`);
  return line.split(' ').slice(1, 3).join(' ');
}

/** Where every node of this file writes recordings; removed once the file's suites are done. */
const scratch = tempDir();
after(() => scratch.remove());

function startNode(db: TestDb, logs: string[], name: string): Promise<App> {
  return startApp(db, { logsLocation: join(scratch.path, name, 'log'), flags: { nodeName: name }, logs });
}

for (const driver of drivers) {
  describe(`foundation on ${driver}: restarts and concurrent first start`, function () {
    let db: TestDb;
    before(async function () { db = await freshDb(this, driver); });
    after(async () => { await db?.drop(); });

    it('two nodes starting at the same moment bootstrap once and present the same host key, across restarts', async () => {
      const logs: string[] = [];
      const nodes = driver === 'mysql'
        ? await Promise.all([startNode(db, logs, 'a'), startNode(db, logs, 'b')])
        : [await startNode(db, logs, 'a'), await startNode(db, logs, 'b')];
      try {
        const keys = await Promise.all(nodes.map((n) => scanHostKey(n.port)));
        expect(keys[0]).to.equal(keys[1]);
        const m = nodes[0].db.manager;
        expect(await m.count(User)).to.equal(1);
        expect(await m.count(Acl)).to.equal(1);
        expect(await m.countBy(SshKey, { name: 'host' })).to.equal(1);
        expect(logs.filter((l) => l.includes("'admin' user created"))).to.have.length(1);
        await Promise.all(nodes.map((n) => n.close()));
        const again = await startNode(db, logs, 'c');
        try {
          expect(await scanHostKey(again.port)).to.equal(keys[0]);
          expect(logs.filter((l) => l.includes("'admin' user created"))).to.have.length(1);
        } finally {
          await again.close();
        }
      } finally {
        await Promise.all(nodes.map((n) => n.close()));
      }
    });
  });
}

describe('foundation: authentication needs a real signature', function () {
  let db: TestDb;
  let app: App;
  before(async function () {
    db = await freshDb(this, 'sqlite3');
    app = await startNode(db, [], 'a');
  });
  after(async () => { await app?.close(); await db?.drop(); });

  it('an agent that signs with garbage binds no invite and opens nothing', async () => {
    const m = app.db.manager;
    const { hashToken } = await import('../../../lib/crypto/tokens.js');
    await m.save(m.create(User, { name: 'eve', email: 'eve@x', inviteToken: hashToken('eve-token') }));
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    const pub = ssh2.utils.parseKey(pair.public);
    if (pub instanceof Error) throw pub;
    // The portal must have asked for a signature (the key alone is not enough), and got garbage.
    const calls = new Calls();
    const signed = calls.mustCallAtLeast(undefined, 1, 'agent sign');
    class ForgingAgent extends ssh2.BaseAgent {
      getIdentities(cb: (err: Error | null, keys?: ssh2.ParsedKey[]) => void): void { cb(null, [pub as ssh2.ParsedKey]); }
      sign(_k: unknown, _d: Buffer, _o: unknown, cb?: (err: Error | null, sig?: Buffer) => void): void { signed(); cb?.(null, Buffer.alloc(64, 7)); }
    }
    const outcome = await new Promise<string>((resolve) => {
      const c = new ssh2.Client();
      c.on('ready', () => { c.end(); resolve('authenticated'); });
      c.on('error', (e) => resolve(e.message));
      c.connect({ host: '127.0.0.1', port: app.port, username: 'invite:eve-token', agent: new ForgingAgent(), hostVerifier: () => true, tryKeyboard: false });
    });
    expect(outcome).to.match(/authentication methods failed/);
    await calls.done();
    const eve = await m.findOneByOrFail(User, { name: 'eve' });
    expect(eve.inviteToken).to.equal(hashToken('eve-token'));
  });
});

describe('foundation: the CLI', function () {
  const cli = (args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    runProcess(process.execPath, ['--import', 'tsx', 'cmd/sshportal.ts', ...args], { env });

  const badFlags: [string[], RegExp][] = [
    [['server', '--db-driver', 'postgres'], /^error: invalid --db-driver 'postgres': expected sqlite3 or mysql\n$/],
    [['server', '--aes-key', 'short'], /^error: invalid --aes-key: must be 16, 24 or 32 characters long\n$/],
    [['server', '--bind-address', 'nowhere'], /^error: invalid --bind-address 'nowhere'/],
    [['server', '--no-such-flag'], /^error: unknown option '--no-such-flag'\n$/],
    [['server', '--idle-timeout', 'soon'], /^error: invalid --idle-timeout 'soon'/],
    [['healthcheck', '--addr', 'nowhere'], /^error: invalid --addr 'nowhere'/],
    [['verify', '--head', 'yesterday'], /^error: invalid --head 'yesterday': expected SEQ:HASH, as printed after 'head:' by an earlier verify\n$/],
  ];
  for (const [args, message] of badFlags) {
    it(`\`sshportal ${args.join(' ')}\` says one line and exits 2`, async () => {
      const r = await cli(args);
      expect([r.code, r.stdout]).to.deep.equal([2, '']);
      expect(r.stderr).to.match(message);
    });
  }

  it('`--help` lists the server flags sshportal users know', async () => {
    const r = await cli(['server', '--help']);
    expect(r.code).to.equal(0);
    for (const f of ['--bind-address', '--db-driver', '--db-conn', '--debug', '--aes-key', '--logs-location', '--idle-timeout',
      '--acl-check-cmd', '--config-user', '--healthcheck-user']) expect(r.stdout).to.include(f);
  });

  /** `sshportal server` in a child process with `env`, once it listens: its port, and its stderr so far. */
  async function startServer(dir: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/sshportal.ts', 'server', '-b', '127.0.0.1:0',
      '--db-conn', join(dir, 'db.sqlite'), '--logs-location', join(dir, 'log')], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const port = await new Promise<number>((resolve, reject) => {
      const t = setInterval(() => {
        const m = /listening address=[^ ]*:(\d+)/.exec(err);
        if (m) { clearInterval(t); resolve(Number(m[1])); }
      }, 50);
      child.on('exit', () => { clearInterval(t); reject(new Error(`server exited: ${err}`)); });
    });
    return { child, port, stderr: () => err };
  }

  it('says at start when glibc\'s malloc runs untuned, and not when started as `npm start` starts it', async function () {
    const dirs = [tempDir(), tempDir()];
    const exited = (c: ChildProcess): Promise<unknown> => new Promise((resolve) => { if (c.exitCode !== null) resolve(c.exitCode); else c.on('exit', resolve); });
    try {
      const untuned = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in MALLOC_TUNING)));
      const [bare, tuned] = await Promise.all([startServer(dirs[0]?.path ?? '', untuned), startServer(dirs[1]?.path ?? '', { ...process.env, ...MALLOC_TUNING })]);
      bare.child.kill('SIGINT');
      tuned.child.kill('SIGINT');
      await Promise.all([exited(bare.child), exited(tuned.child)]);
      expect(bare.stderr()).to.match(/glibc malloc is not tuned.*env="?MALLOC_TRIM_THRESHOLD_=67108864 MALLOC_TOP_PAD_=16777216/);
      expect(tuned.stderr()).to.not.include('malloc');
      // The README's `npm start` sets the same environment.
      const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.start;
      expect(start).to.equal('MALLOC_TRIM_THRESHOLD_=67108864 MALLOC_TOP_PAD_=16777216 node dist/cmd/sshportal.js server');
    } finally {
      for (const d of dirs) d.remove();
    }
  });

  it('stops on SIGTERM within 5 s with exit 0, ending live sessions', async function () {
    const dir = tempDir();
    try {
      const { child, port, stderr } = await startServer(dir.path, process.env);
      // A live connection the shutdown must end: a healthcheck session held open with -N.
      const held = spawn('ssh', ['-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-N',
        '-p', String(port), 'healthcheck@127.0.0.1'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 700));
      const started = Date.now();
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      const heldCode = await new Promise<number | null>((resolve) => {
        if (held.exitCode !== null) return resolve(held.exitCode);
        held.on('exit', (c) => resolve(c));
      });
      expect(code).to.equal(0);
      expect(Date.now() - started).to.be.below(5_000);
      expect(heldCode).to.not.equal(null);
      expect(stderr()).to.include('sshportal stopped');
    } finally {
      dir.remove();
    }
  });
});
