import { expect } from 'chai';
import { PassThrough, Writable } from 'node:stream';
import { LineQueue, maxLineBytes, readLines, StreamInput, tooLong, type LineItem } from '../../../lib/shell/input.js';
import { TerminalOutput } from '../../../lib/shell/terminal-output.js';
import { TerminalEditor } from '../../../lib/shell/terminal.js';
import { Screen } from './screen.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function drain(queue: LineQueue): Promise<LineItem[]> {
  const out: LineItem[] = [];
  for (let item = await queue.next(''); item !== null; item = await queue.next('')) out.push(item);
  return out;
}

async function split(chunks: (string | Buffer)[]): Promise<LineItem[]> {
  const input = new PassThrough();
  const queue = new LineQueue();
  readLines(input, queue);
  const lines = drain(queue);
  for (const c of chunks) input.write(c);
  input.end();
  return lines;
}

describe('shell: piped lines', () => {
  const e = Buffer.from('é');
  const cases: { chunks: (string | Buffer)[]; lines: LineItem[] }[] = [
    { chunks: ['a\nb\r\nc\rd'], lines: ['a', 'b', 'c', 'd'] },
    { chunks: ['a\r', '\nb\n'], lines: ['a', 'b'] },
    { chunks: ['\n\r\r\n'], lines: ['', '', ''] },
    { chunks: [e.subarray(0, 1), e.subarray(1), '\n'], lines: ['é'] },
    { chunks: ['x'.repeat(maxLineBytes), '\n'], lines: ['x'.repeat(maxLineBytes)] },
    { chunks: ['x'.repeat(maxLineBytes + 1), '\nok\n'], lines: [tooLong, 'ok'] },
    { chunks: ['x'.repeat(40_000), 'y'.repeat(40_000), 'z'.repeat(40_000), '\r\nok'], lines: [tooLong, 'ok'] },
    { chunks: ['é'.repeat(maxLineBytes / 2 + 1)], lines: [tooLong] },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.chunks.map((x) => (x.length > 20 ? `${x.length} bytes` : x.toString()))), async () => {
      expect(await split(c.chunks)).to.deep.equal(c.lines);
    });
  }

  it('64 MB without a newline: one pass, nothing kept', async () => {
    const start = performance.now();
    const mb = Buffer.alloc(1 << 20, 'a');
    expect(await split([...Array.from({ length: 64 }, () => mb), '\nlast'])).to.deep.equal([tooLong, 'last']);
    expect(performance.now() - start).to.be.below(5000);
  });

  it('stops reading while 64 lines wait', async () => {
    const input = new PassThrough();
    const queue = new LineQueue();
    readLines(input, queue);
    for (let i = 0; i < 200; i++) input.write(`line ${i}\n`);
    await tick();
    expect(input.isPaused()).to.equal(true);
    for (let i = 0; i < 200; i++) expect(await queue.readLine('')).to.equal(`line ${i}`);
    expect(input.isPaused()).to.equal(false);
  });

  it('a block with a too-long line is consumed to its end, then fails', async () => {
    const input = new PassThrough();
    const queue = new LineQueue();
    readLines(input, queue);
    input.end(`a\n${'x'.repeat(maxLineBytes + 1)}\nb\n\nnext\n`);
    let error = '';
    await queue.readBlock('').catch((err: unknown) => { error = (err as Error).message; });
    expect(error).to.equal('line too long');
    expect(await queue.readLine('')).to.equal('next');
  });
});

describe('shell: one-shot input', () => {
  it('reads lines, then the rest as a block', async () => {
    const input = new PassThrough();
    const s = new StreamInput(input);
    input.end('first\r\nsecond\nrest\nof it');
    expect(await s.readLine()).to.equal('first');
    expect(await s.readLine()).to.equal('second');
    expect(await s.readBlock()).to.equal('rest\nof it');
  });

  it('a line with no end past the limit fails without reading the whole stream', async () => {
    const input = new PassThrough();
    const s = new StreamInput(input);
    for (let i = 0; i < 4; i++) input.write(Buffer.alloc(maxLineBytes, 'a'));
    let error = '';
    await s.readLine().catch((err: unknown) => { error = (err as Error).message; });
    expect(error).to.equal('line too long');
    expect(input.isPaused()).to.equal(true);
  });
});

/** A terminal session on fake streams. */
function terminal(sink?: Writable) {
  const input = new PassThrough();
  let screen = '';
  const out = sink ?? new Writable({ write(c: Buffer, _e, cb) { screen += c.toString('utf8'); cb(); } });
  const queue = new LineQueue();
  const editor = new TerminalEditor(input, new TerminalOutput(out, { cols: 20, rows: 10 }), queue, () => [[], ''], (err) => { throw err; });
  return { input, queue, editor, screen: () => screen };
}

describe('shell: terminal line editor', () => {
  it('echoes, wraps, queues lines', async () => {
    const t = terminal();
    t.input.write('hello\r');
    expect(await t.queue.readLine('> ')).to.equal('hello');
    t.input.write('x'.repeat(30));
    t.input.write('\u001b[D\u001b[DY\r');
    expect(await t.queue.readLine('> ')).to.equal(`${'x'.repeat(28)}Yxx`);
    expect(t.screen()).to.include('hello\r\n');
    t.editor.close();
  });

  it('cuts a 4 MB paste at the limit, in well under a second per MB, and goes on', async () => {
    const t = terminal();
    const start = performance.now();
    for (let i = 0; i < 64; i++) t.input.write('p'.repeat(64 * 1024));
    t.input.write('\rversion\r');
    expect(await t.queue.next('> ')).to.equal(tooLong);
    expect(await t.queue.readLine('> ')).to.equal('version');
    expect(performance.now() - start).to.be.below(2000);
    expect(t.screen().length).to.be.below(maxLineBytes * 2);
    t.editor.close();
  });

  it('stops reading while the client does not read its output', async () => {
    const stuck = new Writable({ highWaterMark: 1024, write: () => undefined });
    const t = terminal(stuck);
    for (let i = 0; i < 50; i++) t.input.write('z'.repeat(1000));
    await new Promise((r) => setTimeout(r, 50));
    expect(t.input.isPaused()).to.equal(true);
    t.editor.close();
  });
});

describe('shell: terminal line editor drawing (on a 20-column screen)', () => {
  function session() {
    const screen = new Screen(20);
    const input = new PassThrough();
    const out = new Writable({ write(c: Buffer, _e, cb) { screen.write(c.toString('utf8')); cb(); } });
    const queue = new LineQueue();
    const editor = new TerminalEditor(input, new TerminalOutput(out, { cols: 20, rows: 10 }), queue, () => [[], ''], (err) => { throw err; });
    const type = async (s: string): Promise<void> => { input.write(s); await new Promise((r) => setTimeout(r, 40)); };
    return { screen, queue, editor, type };
  }
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

  const cases: { name: string; keys: string[]; rows: string[]; at: [number, number] }[] = [
    { name: 'typing wraps', keys: [alphabet.slice(0, 30)], rows: ['> abcdefghijklmnopqr', 'stuvwxyz0123'], at: [1, 12] },
    { name: 'typing to the exact end of a row', keys: [alphabet.slice(0, 18)], rows: ['> abcdefghijklmnopqr', ''], at: [1, 0] },
    { name: 'typing in two chunks across a row end', keys: [alphabet.slice(0, 10), alphabet.slice(10, 40)], rows: ['> abcdefghijklmnopqr', 'stuvwxyz0123456789AB', 'CD'], at: [2, 2] },
    { name: 'insert in the middle of a wrapped line', keys: [alphabet.slice(0, 30), '\u001b[D'.repeat(15), 'XY'], rows: ['> abcdefghijklmnoXYp', 'qrstuvwxyz0123'], at: [0, 19] },
    { name: 'delete back to the first row', keys: [alphabet.slice(0, 25), '\u007f'.repeat(10)], rows: ['> abcdefghijklmno'], at: [0, 17] },
    { name: 'home on a three-row line', keys: [alphabet.slice(0, 45), '\u0001'], rows: ['> abcdefghijklmnopqr', 'stuvwxyz0123456789AB', 'CDEFGHI'], at: [0, 2] },
    { name: 'end after home', keys: [alphabet.slice(0, 45), '\u0001', '\u0005'], rows: ['> abcdefghijklmnopqr', 'stuvwxyz0123456789AB', 'CDEFGHI'], at: [2, 7] },
    { name: 'kill to the start from the third row', keys: [alphabet.slice(0, 45), '\u0015'], rows: ['>'], at: [0, 2] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const s = session();
      s.editor.prompt('> ');
      for (const k of c.keys) await s.type(k);
      expect(s.screen.text()).to.deep.equal(c.rows);
      expect([s.screen.row, s.screen.col]).to.deep.equal(c.at);
      s.editor.close();
    });
  }

  it('Enter leaves the whole line above, wherever the cursor was', async () => {
    const s = session();
    s.editor.prompt('> ');
    await s.type(`${alphabet.slice(0, 45)}\u0001\r`);
    expect(await s.queue.readLine('> ')).to.equal(alphabet.slice(0, 45));
    expect(s.screen.text()).to.deep.equal(['> abcdefghijklmnopqr', 'stuvwxyz0123456789AB', 'CDEFGHI', '>']);
    s.editor.close();
  });
});
