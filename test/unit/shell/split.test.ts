import { expect } from 'chai';
import { splitCommandLine } from '../../../lib/shell/split.js';

describe('shell: splitCommandLine', () => {
  const cases: { line: string; words: string[] }[] = [
    { line: '', words: [] },
    { line: '   ', words: [] },
    { line: 'host ls', words: ['host', 'ls'] },
    { line: '  host\tls  -q ', words: ['host', 'ls', '-q'] },
    { line: 'host create --comment "my host" bob@x', words: ['host', 'create', '--comment', 'my host', 'bob@x'] },
    { line: "host create --comment 'it''s' x", words: ['host', 'create', '--comment', 'its', 'x'] },
    { line: `acl create --comment='a "quoted" word'`, words: ['acl', 'create', '--comment=a "quoted" word'] },
    { line: 'a "b \\" c"', words: ['a', 'b " c'] },
    { line: 'a "b \\n c"', words: ['a', 'b \\n c'] },
    { line: 'a b\\ c', words: ['a', 'b c'] },
    { line: "a '\\n'", words: ['a', '\\n'] },
    { line: 'a ""', words: ['a', ''] },
    { line: "a ''", words: ['a', ''] },
    { line: 'a"b"c', words: ['abc'] },
    { line: 'host ls # a comment', words: ['host', 'ls'] },
    { line: '# only a comment', words: [] },
    { line: 'host ls a#b', words: ['host', 'ls', 'a#b'] },
    { line: 'x "$HOME" `y`', words: ['x', '$HOME', '`y`'] },
    { line: 'x "a\\$b"', words: ['x', 'a$b'] },
  ];
  for (const c of cases) {
    it(`splits ${JSON.stringify(c.line)}`, () => expect(splitCommandLine(c.line)).to.deep.equal(c.words));
  }

  const errors: { line: string; message: RegExp }[] = [
    { line: 'a "b', message: /unterminated double quote/ },
    { line: "a 'b", message: /unterminated single quote/ },
    { line: 'a b\\', message: /trailing backslash/ },
  ];
  for (const c of errors) {
    it(`refuses ${JSON.stringify(c.line)}`, () => expect(() => splitCommandLine(c.line)).to.throw(c.message));
  }
});
