import { expect } from 'chai';
import { KeyDecoder, type Key } from '../../../lib/shell/keys.js';

const text = (t: string): Key => ({ kind: 'text', text: t });
const k = (kind: Exclude<Key['kind'], 'text'>): Key => ({ kind });

describe('shell: terminal key decoder', () => {
  const cases: { chunks: string[]; keys: Key[] }[] = [
    { chunks: ['abc'], keys: [text('abc')] },
    { chunks: ['héllo 日本'], keys: [text('héllo 日本')] },
    { chunks: ['ab\rcd'], keys: [text('ab'), k('enter'), text('cd')] },
    { chunks: ['a\r\nb'], keys: [text('a'), k('enter'), text('b')] },
    { chunks: ['a\r', '\nb'], keys: [text('a'), k('enter'), text('b')] },
    { chunks: ['a\n\nb'], keys: [text('a'), k('enter'), k('enter'), text('b')] },
    { chunks: ['\u007f\b\t\u0003\u0004\u0001\u0005\u000b\u0015\u0017\u000c\u0010\u000e\u0002\u0006'], keys: ['backspace', 'backspace', 'tab', 'interrupt', 'eof', 'home', 'end', 'kill-end', 'kill-start', 'kill-word', 'clear', 'up', 'down', 'left', 'right'].map((x) => k(x as Exclude<Key['kind'], 'text'>)) },
    { chunks: ['\u001b[A\u001b[B\u001b[C\u001b[D\u001b[H\u001b[F'], keys: [k('up'), k('down'), k('right'), k('left'), k('home'), k('end')] },
    { chunks: ['\u001bOA\u001bOH', '\u001b[3~\u001b[1~\u001b[4~\u001b[7~\u001b[8~'], keys: [k('up'), k('home'), k('delete'), k('home'), k('end'), k('home'), k('end')] },
    { chunks: ['\u001bb\u001bf\u001b\u007f'], keys: [k('word-left'), k('word-right'), k('kill-word')] },
    { chunks: ['x\u001b', '[', 'D', 'y'], keys: [text('x'), k('left'), text('y')] },
    { chunks: ['\u001b[1;5', 'C'], keys: [k('right')] },
    { chunks: ['\u001b[200~pasted\u001b[201~'], keys: [text('pasted')] },
    { chunks: ['\u001b[1;2\rz'], keys: [k('enter'), text('z')] },
    { chunks: ['\u001b[' + '1'.repeat(40), 'q'], keys: [text('q')] },
    { chunks: ['\u0000\u0007\u0085a'], keys: [text('a')] },
    { chunks: ['\u001bZ'], keys: [] },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.chunks), () => {
      const d = new KeyDecoder();
      expect(c.chunks.flatMap((ch) => d.decode(ch))).to.deep.equal(c.keys);
    });
  }

  it('decodes 4 MB in one pass', () => {
    const d = new KeyDecoder();
    const start = performance.now();
    const keys = d.decode('a\u001b[Dé\r'.repeat(1 << 20));
    expect(keys).to.have.length(4 * (1 << 20));
    expect(performance.now() - start).to.be.below(3000);
  });
});
