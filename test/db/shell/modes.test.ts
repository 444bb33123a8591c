import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { runShell, type PtySize } from '../../../lib/shell/index.js';
import { Host, SshKey } from '../../../lib/db/entities/index.js';
import { drivers } from '../../support/databases.js';
import { openShell, type ShellFixture } from './harness.js';

/** An interactive session on fake streams: type lines, read the screen. */
function terminal(f: ShellFixture) {
  const input = new PassThrough();
  const output = new PassThrough();
  const errorOutput = new PassThrough();
  let screen = '';
  output.setEncoding('utf8');
  errorOutput.setEncoding('utf8');
  output.on('data', (s: string) => { screen += s; });
  errorOutput.on('data', (s: string) => { screen += s; });
  const resizes: ((s: PtySize) => void)[] = [];
  const io = { input, output, errorOutput, pty: { cols: 100, rows: 30 }, onResize: (l: (s: PtySize) => void) => { resizes.push(l); } };
  // What the user sees, without readline's cursor movements.
  const plain = (): string => screen.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
  const until = async (pattern: RegExp): Promise<void> => {
    for (let i = 0; i < 500 && !pattern.test(plain()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(plain()).to.match(pattern);
  };
  return {
    start: async () => runShell(f.deps, await f.identity('admin'), io, null),
    type: (s: string) => input.write(s),
    screen: plain,
    clear: () => { screen = ''; },
    until,
    resize: (s: PtySize) => resizes.forEach((l) => l(s)),
    end: () => input.end(),
  };
}

for (const driver of drivers) {
  describe(`shell session modes on ${driver}`, function () {
    let f: ShellFixture;
    before(async function () { f = await openShell(this, driver); });
    after(async () => { await f?.close(); });

    it('one-shot: splits the command like a shell', async () => {
      const r = await f.run(`hostgroup create --name=quoted --comment "two words" `);
      expect(r.code, r.stderr).to.equal(0);
      expect((await f.run('hostgroup inspect quoted')).stdout).to.match(/"Comment": "two words"/);
    });

    it('one-shot: an empty command runs the line mode', async () => {
      const r = await f.run('   ', { input: 'version\n' });
      expect(r).to.deep.equal({ code: 0, stdout: '1.2.3-test\n', stderr: '' });
    });

    it("one-shot on a terminal (`ssh -t`): a channel ssh2 ended (its client closed it) gets no backup through the terminal's writer in front of it", async () => {
      const live = async (channel: PassThrough): Promise<{ code: number; text: string }> => {
        const output = new PassThrough();
        let text = '';
        output.setEncoding('utf8');
        output.on('data', (t: string) => { text += t; });
        const io = { input: new PassThrough(), output, errorOutput: new PassThrough(), rawOutput: channel, pty: { cols: 100, rows: 30 }, onResize: () => undefined };
        const code = await runShell(f.deps, await f.identity('admin'), io, 'config backup');
        return { code, text };
      };
      const open = await live(new PassThrough());
      expect(open.text).to.match(/^\{"keys":/);
      const ended = new PassThrough();
      ended.end();
      expect(await live(ended)).to.deep.equal({ code: 0, text: '' });
    });

    it('line by line: runs each line, skips blanks and comments, stops at EOF with the last status', async () => {
      const r = await f.run(null, { input: 'version\n\n# a comment\nhostgroup create --name=fromscript\nhostgroup ls -q -l\nhost nope\n' });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/^1\.2\.3-test\n\d+\n\d+\n$/);
      expect(r.stderr).to.equal("error: unknown command 'nope'\n");
    });

    it('line by line: stops at exit; the status is the last command\'s', async () => {
      const r = await f.run(null, { input: 'version\nexit\nhostgroup create --name=never\n' });
      expect(r).to.deep.equal({ code: 0, stdout: '1.2.3-test\n', stderr: '' });
      expect((await f.run('hostgroup inspect never')).code).to.equal(1);
    });

    it('line by line: a command reads its input from the following lines (key import ends at a blank line)', async () => {
      const key = (JSON.parse((await f.run('key inspect --decrypt default')).stdout) as Record<string, unknown>[])[0].PrivKey as string;
      const r = await f.run(null, { input: `key import --name=piped\n${key}\nkey show piped\n` });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^\d+\nssh-ed25519 AAAA/);
    });

    it('line by line: without a trailing newline, with CRLF', async () => {
      expect((await f.run(null, { input: 'version\r\nversion' })).stdout).to.equal('1.2.3-test\n1.2.3-test\n');
    });

    it('interactive: banner, prompt, commands, errors, history, exit', async () => {
      const t = terminal(f);
      const done = t.start();
      await t.until(/admin shell[\s\S]*config> $/);
      t.type('version\r');
      await t.until(/1\.2\.3-test\r?\n[\s\S]*config> $/);
      t.clear();
      t.type('nope\r');
      await t.until(/error: unknown command 'nope'[\s\S]*config> $/);
      t.clear();
      t.type('\u001b[A\u001b[A\r');
      await t.until(/version[\s\S]*1\.2\.3-test[\s\S]*config> $/);
      t.type('exit\r');
      expect(await done).to.equal(0);
    });

    it('interactive: what is typed while a command writes its output in pieces shows after it, at the next prompt', async () => {
      const key = await f.db.manager.findOneByOrFail(SshKey, { name: 'default' });
      const names = Array.from({ length: 400 }, (_, i) => `ahead${i}`);
      await f.db.manager.createQueryBuilder().insert().into(Host)
        .values(names.map((name) => ({ name, addr: `${name}.example.org:22`, user: 'root', url: `ssh://root@${name}.example.org:22`, comment: '', logging: 'everything', sshKeyId: key.id }))).execute();
      const t = terminal(f);
      const done = t.start();
      await t.until(/config> $/);
      t.clear();
      // ~140 KB of JSON: written in pieces, each once the client took the last.
      t.type('key inspect default\r');
      await t.until(/"ID"/);
      t.type('vers');
      await new Promise((r) => setTimeout(r, 100));
      t.type('ion\r');
      await t.until(/\]\r?\n[\s\S]*1\.2\.3-test\r?\n[\s\S]*config> $/);
      const screen = t.screen();
      const json = screen.slice(screen.indexOf('['), screen.lastIndexOf(']') + 1).replaceAll('\r\n', '\n');
      expect((JSON.parse(json) as { Hosts: unknown[] }[])[0]?.Hosts).to.have.length.at.least(400);
      expect(screen.slice(screen.lastIndexOf(']'))).to.match(/^\]\r?\n[\s\S]*config> version\r?\n1\.2\.3-test/);
      t.type('exit\r');
      expect(await done).to.equal(0);
      await f.run(`host rm ${names.join(' ')}`);
    });

    for (const pty of [{ cols: 80, rows: 24 }, null]) {
      it(`${pty ? 'interactive' : 'line by line'}: input sent after exit is dropped, so the channel's input side can end (ssh2 closes a channel only then)`, async () => {
        // As a channel's input side: the client's EOF ends it without closing it.
        const input = new PassThrough({ autoDestroy: false });
        const io = { input, output: new PassThrough(), errorOutput: new PassThrough(), pty, onResize: () => undefined };
        io.output.resume();
        io.errorOutput.resume();
        const ended = new Promise<void>((r) => input.once('end', () => r()));
        input.write('exit\nversion\n');
        // More packets, still in the stream (not taken by the session) when it ends.
        for (let i = 0; i < 100; i++) input.write('version\n'.repeat(100));
        input.end();
        expect(await runShell(f.deps, await f.identity('admin'), io, null)).to.equal(0);
        await Promise.race([ended, new Promise((_r, reject) => setTimeout(() => reject(new Error('the input never ended: paused with unread data')), 2_000))]);
      });
    }

    it('interactive: tab completes commands and subcommands', async () => {
      const t = terminal(f);
      const done = t.start();
      await t.until(/config> $/);
      t.type('hostg\t');
      await t.until(/config> hostgroup $/);
      t.type('l\t');
      await t.until(/config> hostgroup ls $/);
      t.type('-q\r');
      await t.until(/\d+\r?\n[\s\S]*config> $/);
      t.resize({ cols: 40, rows: 10 });
      t.type('\u0004');
      expect(await done).to.equal(0);
    });

    it('interactive: Ctrl-C clears the line, Ctrl-D leaves with the last status', async () => {
      const t = terminal(f);
      const done = t.start();
      await t.until(/config> $/);
      t.type('host nope\r');
      await t.until(/error:[\s\S]*config> $/);
      t.type('half typed\u0003');
      await t.until(/\^C[\s\S]*config> $/);
      t.type('\u0004');
      expect(await done).to.equal(1);
    });

    it('interactive: a command prompts for its input', async () => {
      const t = terminal(f);
      const done = t.start();
      await t.until(/config> $/);
      t.type('userkey create admin\r');
      await t.until(/Enter key: $/);
      t.type('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKmSXXFa7d0BoV9eeFIt5Y7YAoIhPz/GB6yZMFFbyKI+ x\r');
      await t.until(/\d+\r?\n[\s\S]*config> $/);
      t.end();
      expect(await done).to.equal(0);
    });
  });
}
