/**
 * The admin shell's input from a hostile client (before any role check):
 * completion of inherited names, lines that try to escape the length limit,
 * and input that would make the portal buffer output without bound.
 */
import { expect } from 'chai';
import { Command } from 'commander';
import { PassThrough, Writable } from 'node:stream';
import type { User } from '../../../lib/db/entities/user.js';
import { silentLogger } from '../../../lib/log.js';
import { complete, completionTree } from '../../../lib/shell/complete.js';
import type { Completer } from '../../../lib/shell/editor.js';
import { LineQueue, maxLineBytes, readLines, tooLong, type LineItem } from '../../../lib/shell/input.js';
import { runShell, type ShellDeps, type ShellIdentity } from '../../../lib/shell/index.js';
import { TerminalOutput } from '../../../lib/shell/terminal-output.js';
import { segmentEnd } from '../../../lib/shell/segments.js';
import { TerminalEditor } from '../../../lib/shell/terminal.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const kib = 1024;

/** A client's channel that takes nothing until `open()`; counts what the portal holds for it. */
function client(highWaterMark = 64 * kib) {
  let open = false;
  let text = '';
  let pending = 0;
  const waiting: (() => void)[] = [];
  const sink = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      if (open) {
        cb();
        return;
      }
      pending += chunk.length;
      waiting.push(() => cb());
    },
  });
  return {
    sink,
    /** Bytes written and not taken by the client. */
    held: () => sink.writableLength + pending,
    open: () => { open = true; pending = 0; for (const cb of waiting.splice(0)) cb(); },
    text: () => text,
  };
}

/** A terminal line editor on fake streams; faults are collected, not thrown. */
function terminal(completer: Completer = () => [[], ''], sink: Writable = new Writable({ write: (_c, _e, cb) => cb() })) {
  // As an ssh2 channel's input side: the client's EOF ends it without closing the channel.
  const input = new PassThrough({ autoDestroy: false });
  const out = new TerminalOutput(sink, { cols: 80, rows: 24 });
  const queue = new LineQueue();
  const faults: unknown[] = [];
  const editor = new TerminalEditor(input, out, queue, completer, (err) => faults.push(err));
  return { input, out, queue, editor, faults };
}

/** Everything queued until the input ends. */
async function drain(queue: LineQueue): Promise<LineItem[]> {
  const items: LineItem[] = [];
  for (let item = await queue.next(''); item !== null; item = await queue.next('')) items.push(item);
  return items;
}

/** A completion tree as the shell builds it, from a commander program. */
function programTree() {
  const root = new Command();
  root.command('host').command('ls').option('-q, --quiet');
  root.command('help');
  return completionTree(root);
}

describe('shell: hostile input, completion', () => {
  it('Tab after inherited names completes nothing, even while reading is paused', async () => {
    const tree = programTree();
    const t = terminal((before) => complete(tree, before));
    t.input.write('help\n'.repeat(70));
    expect(t.input.isPaused()).to.equal(true);
    t.input.write('host constructor -\t\t__proto__ hasOwnProperty -\t\t\r');
    const items = await (async () => { const all: LineItem[] = []; for (let i = 0; i < 71; i++) all.push((await t.queue.next('')) ?? 'END'); return all; })();
    expect(items.slice(70)).to.deep.equal(['host constructor -__proto__ hasOwnProperty -']);
    expect(t.faults).to.deep.equal([]);
    t.editor.close();
  });

  it('a completer that throws ends the session only, from a data event or from a resumed read', async () => {
    for (const paused of [false, true]) {
      const t = terminal(() => { throw new TypeError('candidates.filter is not a function'); });
      if (paused) t.input.write('help\n'.repeat(70));
      t.input.write('x\t');
      const items = await drain(t.queue);
      expect(items.length).to.equal(paused ? 70 : 0);
      expect(t.faults.map((e) => (e as Error).message)).to.deep.equal(['candidates.filter is not a function']);
      expect(t.input.listenerCount('data')).to.equal(0);
    }
  });
});

describe('shell: hostile input, line limit', () => {
  const lines = async (chunks: string[]): Promise<LineItem[]> => {
    const t = terminal();
    const items = drain(t.queue);
    for (const c of chunks) t.input.write(c);
    t.input.end();
    return items;
  };
  const long = (items: LineItem[]): number[] => items.filter((i): i is string => typeof i === 'string' && Buffer.byteLength(i) > maxLineBytes).map((i) => i.length);
  const cases: { name: string; chunks: string[]; want: LineItem[] }[] = [
    { name: 'ESC CR does not end a line (the review\'s 12 MB line)', chunks: [...Array.from({ length: 200 }, () => `${'A'.repeat(60_000)}\u001b\r`), '\rok\r'], want: [tooLong, 'ok'] },
    { name: 'ESC O CR does not end a line', chunks: [...Array.from({ length: 3 }, () => `${'A'.repeat(30_000)}\u001bO\r`), '\rok\r'], want: [tooLong, 'ok'] },
    { name: 'ESC CR inside the dropped part does not end the drop', chunks: [`${'x'.repeat(maxLineBytes + 1)}\u001b\rrm -f\rok\r`], want: [tooLong, 'ok'] },
    { name: 'a line of exactly the limit', chunks: [`${'x'.repeat(maxLineBytes)}\r`], want: ['x'.repeat(maxLineBytes)] },
    { name: 'the limit counts bytes', chunks: [`${'é'.repeat(maxLineBytes / 2)}é\rok\r`], want: [tooLong, 'ok'] },
    { name: 'a recalled line grown past the limit', chunks: [`${'x'.repeat(60_000)}\r`, '\u001b[A', `${'y'.repeat(10_000)}\rok\r`], want: ['x'.repeat(60_000), tooLong, 'ok'] },
    { name: 'Ctrl-C ends a line and its count', chunks: [`${'x'.repeat(60_000)}\u0003`, `${'y'.repeat(60_000)}\r`], want: ['y'.repeat(60_000)] },
    { name: 'Ctrl-C ends a drop', chunks: [`${'x'.repeat(maxLineBytes + 1)}\u0003ok\r`], want: [tooLong, 'ok'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const items = await lines(c.chunks);
      expect(long(items)).to.deep.equal([]);
      expect(items).to.deep.equal(c.want);
    });
  }
});

describe('shell: hostile input, what the portal holds', () => {
  const segments: { input: string; end: number }[] = [
    { input: '', end: 0 },
    { input: 'abc', end: 3 },
    { input: 'ab\rcd', end: 3 },
    { input: '\n', end: 1 },
    { input: 'a\tb', end: 2 },
    { input: 'a\u0003b', end: 2 },
    { input: 'a\u000cb', end: 2 },
    { input: 'a\u001b[Ab', end: 5 },
  ];
  for (const c of segments) it(`segment of ${JSON.stringify(c.input)} ends at ${c.end}`, () => expect(segmentEnd(Buffer.from(c.input))).to.equal(c.end));

  it('the editor hands over one line of a 32 KB packet, holds the rest until the next prompt, and reads on as lines are taken', async () => {
    const t = terminal();
    let pushed = 0;
    const push = t.queue.push.bind(t.queue);
    t.queue.push = (item) => { pushed++; push(item); };
    t.input.write('h\r'.repeat(16_000));
    await sleep(20);
    expect(pushed).to.equal(1);
    expect(t.input.isPaused()).to.equal(true);
    t.input.end();
    const items = await drain(t.queue);
    expect(items.length).to.equal(16_000);
    expect(items.every((i) => i === 'h')).to.equal(true);
  });

  it('piped lines: at most 64 of one chunk are queued, the rest is read later', async () => {
    const input = new PassThrough();
    const queue = new LineQueue();
    let pushed = 0;
    const push = queue.push.bind(queue);
    queue.push = (item) => { pushed++; push(item); };
    readLines(input, queue);
    input.end(Array.from({ length: 16_000 }, (_, i) => `line ${i}`).join('\r\n'));
    await sleep(20);
    expect(pushed).to.equal(64);
    const items = await drain(queue);
    expect(items).to.deep.equal(Array.from({ length: 16_000 }, (_, i) => `line ${i}`));
  });

  it('Tab and Ctrl-C floods stop echoing while the client does not read', async () => {
    const hits = Array.from({ length: 40 }, (_, i) => `command${i}`);
    const c = client(16 * kib);
    const t = terminal(() => [hits, ''], c.sink);
    t.input.write('\t'.repeat(32_000));
    t.input.write('\u0003'.repeat(32_000));
    await sleep(50);
    expect(c.held() + t.out.writableLength).to.be.below(64 * kib);
    expect(t.input.isPaused()).to.equal(true);
    c.open();
    await sleep(200);
    expect(t.faults).to.deep.equal([]);
    t.editor.close();
  });
});

describe('shell: hostile input, the command loop and a client that does not read', () => {
  /** A portal's shell for a user without roles; counts the commands that ran (`version` reads the version). */
  function shell(pty: boolean) {
    let versions = 0;
    const deps = { log: silentLogger, get version() { versions++; return '9.9.9'; } } as unknown as ShellDeps;
    const who: ShellIdentity = { user: { id: 1, name: 'plain', roles: [], groups: [] } as unknown as User, remoteAddr: '192.0.2.1:50000' };
    const input = new PassThrough();
    const out = client();
    const err = client();
    const status = runShell(deps, who, { input, output: out.sink, errorOutput: err.sink, pty: pty ? { cols: 80, rows: 24 } : null, onResize: () => undefined }, null);
    return { input, out, err, status, versions: () => versions };
  }
  // One 32 KB packet: 16,000 lines, half of them `help` (about 800 bytes each).
  const packet = 'h\rversion\r'.repeat(8_000);

  for (const pty of [false, true]) {
    it(`${pty ? 'terminal' : 'piped'}: 16,000 lines in one packet buffer a bounded output; all run once the client reads`, async () => {
      const s = shell(pty);
      s.input.write(packet);
      await sleep(300);
      // Without waiting for the client every command runs at once: 8,000 help texts, about 6.5 MB held.
      expect(s.versions()).to.be.below(200);
      expect(s.out.held() + s.err.held()).to.be.below(256 * kib);
      s.out.open();
      s.err.open();
      s.input.end();
      expect(await s.status).to.equal(0);
      expect(s.versions()).to.equal(8_000);
      expect(s.out.text().split('9.9.9').length - 1).to.equal(8_000);
    });

    it(`${pty ? 'terminal' : 'piped'}: a client that closes while the shell waits for it ends the session`, async () => {
      const s = shell(pty);
      s.input.write(packet);
      await sleep(100);
      const ran = s.versions();
      s.input.destroy();
      let timer: NodeJS.Timeout | undefined;
      const hanging = new Promise<string>((r) => { timer = setTimeout(() => r('hanging'), 2000); });
      expect(await Promise.race([s.status, hanging])).to.be.a('number');
      clearTimeout(timer);
      expect(s.versions()).to.equal(ran);
    });
  }
});
