import { expect } from 'chai';
import { prng } from '../../support/prng.js';
import { drivers } from '../../support/databases.js';
import { openShell, type ShellFixture } from './harness.js';

const words = ['acl', 'config', 'event', 'host', 'hostgroup', 'key', 'session', 'user', 'usergroup', 'userkey', 'info', 'version', 'help',
  'create', 'inspect', 'ls', 'rm', 'update', 'backup', 'restore', 'invite', 'setup', 'show', 'import',
  '--name', '-n', '--comment', '--group', '-g', '--hop', '--key', '--weight', '-w', '--action', '--inception', '--expiration',
  '--pattern', '--logging', '--type', '--length', '--quiet', '-q', '--latest', '-l', '--indent', '--decrypt', '--confirm', '--assign-group',
  '--unassign-group', '--url', 'default', 'admin', '1', '0', '-1', '99999999999999999999', 'allow', 'deny', 'everything', 'bob@host:22',
  'ssh://u:p@h:70000', "'unclosed", '"', '\\', '$(id)', '`id`', ';', '|', '&&', '*', '..', '%s%n', '\u0000', 'é', '🙂', '--', '-', '=', '--name='];

function line(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 7);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    if (rand() < 0.1) parts.push(String.fromCharCode(...Array.from({ length: 1 + Math.floor(rand() * 8) }, () => Math.floor(rand() * 0x2fff))));
    else parts.push(words[Math.floor(rand() * words.length)]);
  }
  return parts.join(rand() < 0.9 ? ' ' : '\t');
}

for (const driver of drivers) {
  describe(`shell on ${driver}: seeded fuzz of admin command lines`, function () {
    const seed = Number(process.env.FUZZ_SEED ?? 1123);
    const count = Number(process.env.FUZZ_LINES ?? 1500);
    let f: ShellFixture;
    before(async function () { f = await openShell(this, driver); });
    after(async () => { await f?.close(); });

    it(`${count} random lines (seed ${seed}) never crash, never leak a stack, SQL or path`, async function () {
      this.timeout(300_000);
      const rand = prng(seed);
      for (let i = 0; i < count; i++) {
        const l = line(rand);
        const r = await f.run(l, { input: '' });
        const context = `line ${i} (seed ${seed}): ${JSON.stringify(l)}`;
        expect(r.code, context).to.be.a('number');
        expect(r.stderr, context).to.not.match(/\n\s+at |Error: |QueryFailedError|SQLITE_|ER_[A-Z_]+|SELECT |INSERT |\/work\/|node_modules/);
        if (r.code !== 0) expect(r.stderr, context).to.match(/^(error: |Usage:)/m);
      }
      const ok = await f.run('version');
      expect(ok.code).to.equal(0);
    });
  });
}
