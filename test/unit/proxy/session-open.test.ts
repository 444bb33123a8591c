import { expect } from 'chai';
import { x11Cookie } from '../../../lib/proxy/session-open.js';

describe('proxy/session-open x11Cookie', () => {
  const cases: Array<[string, unknown, string | undefined]> = [
    ['hex string stays as is', 'a1b2', 'a1b2'],
    ['Buffer of hex text becomes that text (not re-encoded)', Buffer.from('a1b2'), 'a1b2'],
    ['anything else → undefined (ssh2 then makes a random cookie)', 42, undefined],
  ];
  for (const [name, input, expected] of cases) it(name, () => expect(x11Cookie(input)).to.equal(expected));
});
