import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { crlfWriter } from '../../../lib/server/pty-output.js';

/** What `chunks` become through the writer. */
async function through(chunks: readonly (string | Buffer)[]): Promise<string> {
  const target = new PassThrough();
  const got: Buffer[] = [];
  target.on('data', (d: Buffer) => got.push(d));
  const w = crlfWriter(target);
  for (const c of chunks) w.write(c);
  await new Promise<void>((resolve) => w.end(resolve));
  await new Promise((r) => setImmediate(r));
  return Buffer.concat(got).toString('utf8');
}

describe('server: output for a terminal (LF becomes CR LF)', () => {
  const cases: { name: string; chunks: string[]; expected: string }[] = [
    { name: 'lone LFs', chunks: ['a\nb\n'], expected: 'a\r\nb\r\n' },
    { name: 'CR LF kept as it is', chunks: ['a\r\nb\r\n'], expected: 'a\r\nb\r\n' },
    { name: 'a CR LF split between two writes', chunks: ['a\r', '\nb'], expected: 'a\r\nb' },
    { name: 'a CR at the end, then an LF after an empty write', chunks: ['a\r', '', '\nb'], expected: 'a\r\nb' },
    { name: 'an LF starting a write after an LF', chunks: ['a\n', '\nb'], expected: 'a\r\n\r\nb' },
    { name: 'a lone CR', chunks: ['a\rb'], expected: 'a\rb' },
    { name: 'LF LF', chunks: ['\n\n'], expected: '\r\n\r\n' },
    { name: 'non-ASCII around line ends', chunks: ['é\n', 'ü\r\n'], expected: 'é\r\nü\r\n' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(await through(c.chunks)).to.equal(c.expected);
    });
  }

  it('20 MB of lines in one write: every LF converted', async () => {
    const line = `${'x'.repeat(99)}\n`;
    const out = await through([line.repeat(200_000)]);
    expect(out.length).to.equal(200_000 * 101);
    expect(out.slice(0, 202)).to.equal(`${'x'.repeat(99)}\r\n`.repeat(2));
  });
});
