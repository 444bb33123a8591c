import { expect } from 'chai';
import { Writable } from 'node:stream';
import { writeIfOpen } from '../../../lib/ssh/write-if-open.js';

function sink(): Writable & { got: string[] } {
  const got: string[] = [];
  const w = new Writable({ write(chunk: Buffer, _enc, cb) { got.push(chunk.toString()); cb(); } });
  return Object.assign(w, { got });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ssh: a notice line for a channel that may be finishing', () => {
  it('writes to an open stream', async () => {
    const w = sink();
    expect(writeIfOpen(w, 'hello\n')).to.equal(true);
    await tick();
    expect(w.got).to.deep.equal(['hello\n']);
  });

  it('a plain write after end emits an error (nobody listens for it on a channel\'s stderr: the process died)', async () => {
    const w = sink();
    const errors: unknown[] = [];
    w.on('error', (e) => errors.push(e));
    w.end();
    w.write('late\n');
    await tick();
    expect(errors).to.have.length(1);
  });

  for (const [name, close] of [['ended', (w: Writable) => w.end()], ['destroyed', (w: Writable) => w.destroy()]] as const) {
    it(`skips a stream that ${name}, without an error event`, async () => {
      const w = sink();
      close(w);
      // No 'error' listener: an emitted error would fail this test as uncaught.
      expect(writeIfOpen(w, 'late\n')).to.equal(false);
      await tick();
      await tick();
      expect(w.got).to.deep.equal([]);
    });
  }
});
