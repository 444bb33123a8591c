import { expect } from 'chai';
import { MAX_QUOTED_CHARS, quoted } from '../../lib/errors.js';

describe('errors: quoting input in a message', () => {
  const cases: { name: string; value: string; out: string }[] = [
    { name: 'short text as is', value: 'nowhere', out: "'nowhere'" },
    { name: 'empty', value: '', out: "''" },
    { name: 'exactly the limit', value: 'a'.repeat(MAX_QUOTED_CHARS), out: `'${'a'.repeat(MAX_QUOTED_CHARS)}'` },
    { name: 'one over, cut with an ellipsis', value: 'a'.repeat(MAX_QUOTED_CHARS + 1), out: `'${'a'.repeat(MAX_QUOTED_CHARS)}…'` },
    { name: 'a megabyte', value: 'b'.repeat(1 << 20), out: `'${'b'.repeat(MAX_QUOTED_CHARS)}…'` },
    { name: 'no half surrogate pair', value: `${'a'.repeat(MAX_QUOTED_CHARS - 1)}😀😀`, out: `'${'a'.repeat(MAX_QUOTED_CHARS - 1)}…'` },
    { name: 'an escape sequence, escaped', value: '\u001b[2J', out: "'\\u001b[2J'" },
    { name: 'a newline and a C1 control, escaped', value: 'a\nb\u009bc', out: "'a\\u000ab\\u009bc'" },
  ];
  for (const c of cases) it(c.name, () => expect(quoted(c.value)).to.equal(c.out));
});
